#!/usr/bin/env node
// `ekm`: the command line of ekm-lifecycle. One file per command under commands/.
import { Command, CommanderError } from 'commander';
import { defaultTaskQueue as builtInTaskQueue } from '../common/taskQueue';
import { registerAttest } from './commands/attest';
import { registerResolve } from './commands/resolve';
import { registerCancel } from './commands/cancel';
import { registerCheck } from './commands/check';
import { registerCodecServer } from './commands/codecServer';
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

const taskQueue = process.env.EKM_TASK_QUEUE || builtInTaskQueue;

export function buildProgram(): Command {
  const program = new Command('ekm')
    .description('Durable runbooks for OpenAI EKM keys: inspect, rotate, revoke, verify.')
    .option(
      '--sandbox',
      'connect to the sandbox `npm start` runs (its Temporal address, namespace, Web UI and evidence folder)',
    )
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
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
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
