// The worker process's telemetry, set up once before any connection or worker exists (Runtime.install
// must come first): the log, Core's Prometheus metrics, and, when an OTLP endpoint is configured, tracing.
import { Runtime } from '@temporalio/worker';
import type { TelemetryConfig } from '../telemetryConfig';
import { routeConsoleTo, WorkerLogger } from './logger';
import { startTracing, type WorkerTracing } from './tracing';

export interface WorkerTelemetry {
  logger: WorkerLogger;
  tracing?: WorkerTracing;
}

export function installTelemetry(telemetry: TelemetryConfig): WorkerTelemetry {
  const logger = new WorkerLogger(telemetry.logs);
  Runtime.install({
    logger,
    telemetryOptions: {
      // Core's own logs join the same stream, at the same level; its dependencies' only when they fail.
      logging: { forward: {}, filter: { core: logger.level, other: 'ERROR' } },
      ...(telemetry.metrics
        ? { metrics: { prometheus: { bindAddress: telemetry.metrics.bindAddress } } }
        : {}),
    },
  });
  routeConsoleTo(logger);
  return { logger, ...(telemetry.otlp ? { tracing: startTracing(telemetry.otlp) } : {}) };
}
