// The `telemetry` section of the worker's configuration (docs/telemetry.md): where the worker serves its
// Prometheus metrics and its health endpoints, where it sends its traces, and how it writes its logs.
// Optional as a whole and in every part: a part left out is off (logs: JSON at info); absent from the
// file, it stays absent from the parsed configuration (telemetryOf gives the defaults).
import { z } from 'zod';
import { httpUrl } from '../common/httpUrl';

/** `host:port` as a server binds it: an IPv4 address or a name, or `[v6]`, and a port (0 for any free one). */
export const bindAddress = z
  .string({ error: 'must be a host:port to listen on, such as 0.0.0.0:9464' })
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
    'must be host:port to listen on, such as 0.0.0.0:9464 (all interfaces) or 127.0.0.1:9464',
  )
  .refine((address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65535, {
    message: 'names a port above 65535: choose one such as 9464',
  });

/** Where a server given a bindAddress listens. */
export function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
}

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof logLevels)[number];

export const telemetrySection = z
  .object({
    /** The SDK's runtime metrics (workflows, activities, pollers, slots), for Prometheus at GET /metrics. */
    metrics: z.object({ bindAddress }).strict().optional(),
    /** GET /healthz (the process is up) and GET /readyz (connected to Temporal, the worker polling). */
    health: z.object({ bindAddress }).strict().optional(),
    /** OpenTelemetry traces of runs, activities and client calls, sent as OTLP over HTTP (JSON). */
    otlp: z
      .object({
        /** The collector's traces URL, e.g. http://otel-collector:4318/v1/traces. */
        endpoint: httpUrl.refine((url) => !/\/v1\/(metrics|logs)\/?$/.test(url), {
          message:
            'is a metrics or logs URL: give the collector its traces URL, e.g. http://otel-collector:4318/v1/traces',
        }),
        /** The service.name the spans carry (default ekm-worker). */
        serviceName: z.string().trim().min(1, 'must not be empty').default('ekm-worker'),
      })
      .strict()
      .optional(),
    /** The worker's log lines, the SDK's included: one JSON object a line, or text for a person. */
    logs: z
      .object({
        format: z.enum(['json', 'text'], { message: 'must be json or text' }).default('json'),
        level: z.enum(logLevels, { message: `must be one of ${logLevels.join(', ')}` }).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .optional();

export type TelemetryConfig = NonNullable<z.infer<typeof telemetrySection>>;

/** The section as the worker uses it: absent from the file, JSON logs at info and nothing else. */
export function telemetryOf(config: { telemetry?: TelemetryConfig }): TelemetryConfig {
  return config.telemetry ?? { logs: { format: 'json', level: 'info' } };
}
