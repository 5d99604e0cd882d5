// The CLI's error classes and the exit code each maps to (documented in the README).
export const ExitCode = {
  ok: 0,
  /** The operation ran and failed (a workflow failed, a check found a problem). */
  failed: 1,
  /** Bad flags or input: nothing was started or changed. */
  usage: 2,
  /** Temporal could not be reached. */
  unreachable: 3,
  /**
   * The run (or the CLI on its behalf) refused the request, and nothing was recorded as accepted: a vote
   * or attestation the workflow's validator turned down, a `--plan` that is not the open gate's plan, a
   * second run for a key that already has one, a restore of a revocation that is still running. Distinct
   * from `usage` because the flags were well-formed: the person has to look at the run, not at the help.
   */
  refused: 4,
  /** No such workflow (or run) in the namespace. */
  notFound: 5,
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

export class RefusedError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.refused);
  }
}
