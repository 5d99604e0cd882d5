// The ekm worker process. Stops gracefully on SIGINT/SIGTERM: it stops polling, running activities get
// the configured grace time to finish, then are cancelled (and heartbeat-fail).
import type { WorkerRole } from '../common/workerRoles';
import { createEkmWorker, workerTaskQueue, workerVersioning } from './createWorker';
import { connectWorker } from './connect';
import { loadWorkerConfig, WorkerConfigError } from './config';

export async function runWorker(options: { role?: WorkerRole } = {}): Promise<void> {
  // `--role` overrides the file's role before the file is judged: a read worker needs no approval policy.
  const config = loadWorkerConfig(process.env, options.role ? { role: options.role } : {});
  // A versioned worker without a usable build id is refused before anything connects.
  const version = workerVersioning(config)?.version;
  const { connection, namespace, address } = await connectWorker();
  try {
    const worker = await createEkmWorker({ connection, namespace, config });
    console.log(
      `ekm worker: polling task queue ${workerTaskQueue(config)} on ${address} (namespace ${namespace}), role ${config.role}${config.role === 'all' && config.mutatingTaskQueue ? ` (changes go to ${config.mutatingTaskQueue})` : ''}${version ? `, build ${version.buildId} of deployment ${version.deploymentName}` : ''}${config.sandbox ? ' — sandbox' : ''}`,
    );
    await worker.run();
    console.log('ekm worker: stopped');
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runWorker().catch((err: unknown) => {
    console.error(
      `ekm worker: ${err instanceof WorkerConfigError ? err.message : String((err as Error).stack ?? err)}`,
    );
    process.exit(1);
  });
}
