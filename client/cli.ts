#!/usr/bin/env node
// `ekm`: the command line of ekm-lifecycle. One file per command under commands/.
import { Command, CommanderError } from 'commander';
import { defaultTaskQueue as builtInTaskQueue } from '../common/taskQueue';
import { registerAttest } from './commands/attest';
import { registerResolve } from './commands/resolve';
import { registerCancel } from './commands/cancel';
import { registerCheck } from './commands/check';
import { registerCodecServer } from './commands/codecServer';
import { registerCompletion } from './commands/completion';
import { registerEvidence } from './commands/evidence';
import { registerFleet } from './commands/fleet';
import { registerKeyInspect } from './commands/keyInspect';
import { registerKeys } from './commands/keys';
import { registerList } from './commands/list';
import { registerRestore } from './commands/restore';
import { registerRevokePlan } from './commands/revokePlan';
import { registerRevokeStart } from './commands/revokeStart';
import { registerSandboxDescribe } from './commands/sandboxDescribe';
import { registerSandboxKill } from './commands/sandboxKill';
import { registerStatus } from './commands/status';
import { registerUsage } from './commands/usage';
import { registerRotate } from './commands/rotate';
import { registerSchedule } from './commands/schedule';
import { registerApprove, registerReject } from './commands/vote';
import { registerWorker } from './commands/worker';
import { registerWorkerPromote } from './commands/workerPromote';
import { registerWorkerVersions } from './commands/workerVersions';
import { CliError, ExitCode } from './errors';
import { useSandboxProfile } from './sandboxProfile';
import { versionInfo, versionLine } from './version';
import { BuildIdError } from '../worker/versioning';
import { useEnvironmentProxy } from '../activities/proxy/useEnvironmentProxy';

const taskQueue = process.env.EKM_TASK_QUEUE || builtInTaskQueue;

export function buildProgram(): Command {
  const program = new Command('ekm')
    .description('Durable runbooks for OpenAI EKM keys: inspect, rotate, revoke, verify.')
    .option(
      '--sandbox',
      'connect to the sandbox `npm start` runs (its Temporal address, namespace, Web UI and evidence folder)',
    )
    // Answered by main() before parsing (so `--json` can go with it); declared here for help and completion.
    .option('-V, --version', 'print the version and build id (with --json: as JSON)')
    .exitOverride()
    .showHelpAfterError();
  program.hook('preAction', () => {
    if (program.opts<{ sandbox?: boolean }>().sandbox) useSandboxProfile();
  });
  registerCheck(program, taskQueue);
  const key = program.command('key').description('commands about one key');
  registerKeyInspect(key, taskQueue);
  // The runbook's first question: is the key being used?
  registerUsage(program, taskQueue);
  registerRotate(program, taskQueue);
  registerSchedule(program, taskQueue);
  // The revocation runbook, in the order a person meets its commands.
  const revoke = program.command('revoke').description("revoke OpenAI's access to a key (the runbook)");
  registerRevokePlan(revoke, taskQueue);
  registerRevokeStart(revoke, taskQueue);
  registerFleet(program, taskQueue);
  registerStatus(program);
  registerList(program);
  registerApprove(program);
  registerReject(program);
  registerAttest(program);
  registerResolve(program);
  registerCancel(program);
  registerRestore(program, taskQueue);
  registerEvidence(program);
  const sandbox = program.command('sandbox').description('the local rehearsal sandbox');
  registerSandboxDescribe(sandbox);
  registerSandboxKill(sandbox);
  const worker = registerWorker(program);
  registerWorkerPromote(worker);
  registerWorkerVersions(worker);
  registerCodecServer(program);
  registerKeys(program);
  registerCompletion(program);
  return program;
}

/** `ekm --version` or `ekm --version --json`: the only arguments, answered without a connection. */
function printVersion(args: string[]): boolean {
  const versionFlags = ['--version', '-V'];
  if (
    !args.some((a) => versionFlags.includes(a)) ||
    !args.every((a) => [...versionFlags, '--json'].includes(a))
  )
    return false;
  let info;
  try {
    info = versionInfo();
  } catch (err) {
    // A malformed EKM_BUILD_ID: the same refusal a versioned worker gives, naming it.
    if (err instanceof BuildIdError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
  console.log(args.includes('--json') ? JSON.stringify(info, null, 2) : versionLine(info));
  return true;
}

export async function main(argv: string[]): Promise<number> {
  try {
    if (printVersion(argv.slice(2))) return ExitCode.ok;
    // Every outbound client of every command honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (docs/operations.md).
    useEnvironmentProxy();
    await buildProgram().parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; anything else commander rejects is a usage error.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      console.error(`ekm: ${err.message}`);
      return err.exitCode;
    }
    console.error(`ekm: ${(err as Error).stack ?? String(err)}`);
    return ExitCode.failed;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
