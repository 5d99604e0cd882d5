// The ekm worker process. Stops gracefully on SIGINT/SIGTERM: it stops polling, running activities get
// the configured grace time to finish, then are cancelled (and heartbeat-fail).
import type { WorkerRole } from '../common/workerRoles';
import { createEkmWorker, workerTaskQueue, workerVersioning } from './createWorker';
import { connectWorker } from './connect';
import { loadWorkerConfig, WorkerConfigError } from './config';
import { prebuiltWorkflowBundle } from './workflowBundle';
import { installTelemetry } from './telemetry';
import { telemetryOf } from './telemetryConfig';
import { startHealthServer, type WorkerReadiness } from './telemetry/health';
import { useEnvironmentProxy } from '../activities/proxy/useEnvironmentProxy';

export async function runWorker(options: { role?: WorkerRole } = {}): Promise<void> {
  // Before any client exists: HTTPS_PROXY / NO_PROXY for undici and grpc-js (the AWS clients read it too).
  useEnvironmentProxy();
  // `--role` overrides the file's role before the file is judged: a read worker needs no approval policy.
  const config = loadWorkerConfig(process.env, options.role ? { role: options.role } : {});
  // A prebuilt bundle named but missing, or a versioned worker without a usable build id, is refused
  // before anything connects.
  const workflowBundle = prebuiltWorkflowBundle();
  const version = workerVersioning(config)?.version;
  // Before any connection: the Runtime (metrics, the log) is installed once, for the whole process.
  const telemetry = telemetryOf(config);
  const { logger, tracing } = installTelemetry(telemetry);
  const readiness: WorkerReadiness = {};
  const health = telemetry.health && (await startHealthServer(telemetry.health.bindAddress, readiness));
  try {
    const { connection, namespace, address } = await connectWorker();
    readiness.connection = connection;
    try {
      const worker = await createEkmWorker({ connection, namespace, config, tracing, workflowBundle });
      readiness.worker = worker;
      logger.info(
        `ekm worker: polling task queue ${workerTaskQueue(config)} on ${address} (namespace ${namespace}), role ${config.role}${config.role === 'all' && config.mutatingTaskQueue ? ` (changes go to ${config.mutatingTaskQueue})` : ''}${version ? `, build ${version.buildId} of deployment ${version.deploymentName}` : ''}${config.sandbox ? ' — sandbox' : ''}${workflowBundle && config.role !== 'mutating' ? (tracing ? `, workflows bundled at start (tracing: ${workflowBundle.codePath} holds no tracing interceptors)` : `, workflows from ${workflowBundle.codePath}`) : ''}`,
        {
          taskQueue: workerTaskQueue(config),
          namespace,
          role: config.role,
          ...(version ? { buildId: version.buildId, deployment: version.deploymentName } : {}),
          ...(telemetry.metrics ? { metrics: telemetry.metrics.bindAddress } : {}),
          ...(health ? { health: health.address } : {}),
          ...(telemetry.otlp ? { otlp: telemetry.otlp.endpoint } : {}),
        },
      );
      await worker.run();
      logger.info('ekm worker: stopped');
    } finally {
      await connection.close();
    }
  } finally {
    await health?.close();
    await tracing?.shutdown();
  }
}

if (require.main === module) {
  runWorker().catch((err: unknown) => {
    // The log is JSON once the Runtime is installed (console is routed to it); before, a plain line.
    console.error(
      `ekm worker: ${err instanceof WorkerConfigError ? err.message : String((err as Error).stack ?? err)}`,
    );
    process.exit(1);
  });
}
