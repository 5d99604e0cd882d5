// The CLI's error classes and the exit code each maps to (documented in the README).
export const ExitCode = {
  ok: 0,
  /** The operation ran and failed (a workflow failed, a check found a problem). */
  failed: 1,
  /** Bad flags or input: nothing was started or changed. */
  usage: 2,
  /** Temporal could not be reached. */
  unreachable: 3,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}
