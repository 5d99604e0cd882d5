#!/usr/bin/env node
// `ekm`: the command line of ekm-lifecycle. One file per command under commands/.
import { Command, CommanderError } from 'commander';
import { defaultTaskQueue as builtInTaskQueue } from '../common/taskQueue';
import { registerCheck } from './commands/check';
import { registerKeyInspect } from './commands/keyInspect';
import { registerSandboxDescribe } from './commands/sandboxDescribe';
import { registerWorker } from './commands/worker';
import { CliError, ExitCode } from './errors';

const taskQueue = process.env.EKM_TASK_QUEUE || builtInTaskQueue;

export function buildProgram(): Command {
  const program = new Command('ekm')
    .description('Durable runbooks for OpenAI EKM keys: inspect, rotate, revoke, verify.')
    .exitOverride()
    .showHelpAfterError();
  registerCheck(program, taskQueue);
  const key = program.command('key').description('commands about one key');
  registerKeyInspect(key, taskQueue);
  registerSandboxDescribe(program.command('sandbox').description('the local rehearsal sandbox'));
  registerWorker(program);
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
