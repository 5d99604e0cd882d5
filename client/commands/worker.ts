// `ekm worker`: runs the ekm worker in this process (the same as `node dist/worker/main.js`).
import type { Command } from 'commander';
import { runWorker } from '../../worker/main';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the ekm worker (configured by TEMPORAL_* variables and EKM_WORKER_CONFIG)')
    .action(async () => {
      await runWorker();
    });
}
