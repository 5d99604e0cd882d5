// `ekm worker`: runs the ekm worker in this process (the same as `node dist/worker/main.js`).
import type { Command } from 'commander';
import { workerRoles, type WorkerRole } from '../../common/workerRoles';
import { UsageError } from '../errors';

export function registerWorker(program: Command): Command {
  return program
    .command('worker')
    .description('run the ekm worker (configured by TEMPORAL_* variables and EKM_WORKER_CONFIG)')
    .option(
      '--role <role>',
      'all (default: everything), read (workflows and reads; no credentials that can change a key) or mutating (only the changes, on mutatingTaskQueue)',
    )
    .action(async (flags: { role?: string }) => {
      if (flags.role !== undefined && !(workerRoles as readonly string[]).includes(flags.role))
        throw new UsageError(`--role ${flags.role}: must be all, read or mutating`);
      // Loaded only here: the worker SDK and the activities' cloud clients take about a second to load,
      // which every other command (each one a short-lived process) would otherwise pay.
      const { runWorker } = await import('../../worker/main.js');
      await runWorker({ role: flags.role as WorkerRole | undefined });
    });
}
