// OpenTelemetry traces of the worker: a span for each run (RunWorkflow), each activity it schedules and
// runs (StartActivity, RunActivity) and each client call, exported as OTLP over HTTP with JSON bodies.
// Workflow spans are made inside the workflow sandbox and leave it through the `exporter` sink.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { TelemetryConfig } from '../telemetryConfig';

/**
 * The workflow interceptors' module. Bundled into the workflow code: by the worker when it bundles at
 * start, or by whoever builds a workflow bundle ahead of time (bundleWorkflowCode's
 * workflowInterceptorModules) for workers that trace.
 */
export const tracingWorkflowModule =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface WorkerTracing {
  /** What the Worker gets: the interceptors, and the sink the workflow spans leave the sandbox through. */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** The interceptors of the worker's own Temporal client (its reads of other runs). */
  clientInterceptors: { workflow: OpenTelemetryWorkflowClientInterceptor[] };
  /** Sends the spans still buffered, then stops the exporter (before the process exits). */
  shutdown(): Promise<void>;
}

export function startTracing(otlp: NonNullable<TelemetryConfig['otlp']>): WorkerTracing {
  const resource = new Resource({ 'service.name': otlp.serviceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: otlp.endpoint }));
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  // Global: the interceptors inject and extract the trace context in headers through the global propagator
  // (W3C trace context), and an activity's span finds its parent (the workflow's StartActivity, from the
  // headers) only through an active context, which needs a context manager.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracer = provider.getTracer('ekm-worker');
  return {
    workerOptions: {
      interceptors: {
        workflowModules: [tracingWorkflowModule],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
        client: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    shutdown: () => provider.shutdown(),
  };
}
