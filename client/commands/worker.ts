// `ekm worker`: runs the ekm worker in this process (the same as `node dist/worker/main.js`).
import type { Command } from 'commander';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the ekm worker (configured by TEMPORAL_* variables and EKM_WORKER_CONFIG)')
    .action(async () => {
      // Loaded only here: the worker SDK and the activities' cloud clients take about a second to load,
      // which every other command (each one a short-lived process) would otherwise pay.
      const { runWorker } = await import('../../worker/main.js');
      await runWorker();
    });
}
