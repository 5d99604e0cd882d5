// The ekm worker process. Stops gracefully on SIGINT/SIGTERM: it stops polling, running activities get
// the configured grace time to finish, then are cancelled (and heartbeat-fail).
import { createEkmWorker } from './createWorker';
import { connectWorker } from './connect';
import { loadWorkerConfig, WorkerConfigError } from './config';

export async function runWorker(): Promise<void> {
  const config = loadWorkerConfig();
  const { connection, namespace, address } = await connectWorker();
  try {
    const worker = await createEkmWorker({ connection, namespace, config });
    console.log(
      `ekm worker: polling task queue ${config.taskQueue} on ${address} (namespace ${namespace})${config.sandbox ? ' — sandbox' : ''}`,
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
