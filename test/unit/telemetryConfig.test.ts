// The worker's `telemetry` section (worker/telemetryConfig.ts): every part optional, bad values refused
// naming the field and the fix; and the log it configures: JSON lines at the level asked, or text.
import assert from 'node:assert/strict';
import { parseWorkerConfig, WorkerConfigError } from '../../worker/config';
import { WorkerLogger } from '../../worker/telemetry/logger';
import { hostAndPort, telemetryOf } from '../../worker/telemetryConfig';

const readWorker = { role: 'read', mutatingTaskQueue: 'ekm-changes' };

describe('worker configuration: telemetry', function () {
  it('is optional: absent, no metrics, health or traces, and JSON logs at info', function () {
    const config = parseWorkerConfig(readWorker);
    assert.equal(config.telemetry, undefined, 'absent from the file: left absent');
    assert.deepEqual(telemetryOf(config), { logs: { format: 'json', level: 'info' } });
    assert.deepEqual(parseWorkerConfig({ ...readWorker, telemetry: {} }).telemetry, {
      logs: { format: 'json', level: 'info' },
    });
  });

  it('takes the documented section whole', function () {
    const telemetry = {
      metrics: { bindAddress: '0.0.0.0:9464' },
      health: { bindAddress: '0.0.0.0:8080' },
      otlp: { endpoint: 'http://otel-collector:4318/v1/traces' },
      logs: { format: 'text', level: 'debug' },
    };
    assert.deepEqual(parseWorkerConfig({ ...readWorker, telemetry }).telemetry, {
      ...telemetry,
      otlp: { ...telemetry.otlp, serviceName: 'ekm-worker' },
    });
    assert.deepEqual(hostAndPort('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
    assert.deepEqual(hostAndPort('[::1]:8080'), { host: '::1', port: 8080 });
  });

  const bad: [string, unknown, RegExp][] = [
    [
      'a port alone',
      { metrics: { bindAddress: '9464' } },
      /telemetry\.metrics\.bindAddress: must be host:port to listen on, such as 0\.0\.0\.0:9464/,
    ],
    [
      'a URL as an address',
      { health: { bindAddress: 'http://0.0.0.0:8080' } },
      /telemetry\.health\.bindAddress: must be host:port/,
    ],
    [
      'a port too high',
      { health: { bindAddress: '0.0.0.0:80800' } },
      /telemetry\.health\.bindAddress: names a port above 65535/,
    ],
    [
      'a number',
      { metrics: { bindAddress: 9464 } },
      /telemetry\.metrics\.bindAddress: must be a host:port to listen on/,
    ],
    [
      'no scheme',
      { otlp: { endpoint: 'otel-collector:4318/v1/traces' } },
      /telemetry\.otlp\.endpoint: must be (a URL|an http)/,
    ],
    [
      'the metrics URL',
      { otlp: { endpoint: 'http://otel:4318/v1/metrics' } },
      /telemetry\.otlp\.endpoint: is a metrics or logs URL: give the collector its traces URL/,
    ],
    [
      'a gRPC scheme',
      { otlp: { endpoint: 'grpc://otel:4317' } },
      /telemetry\.otlp\.endpoint: must be an http:\/\/ or https:\/\/ URL/,
    ],
    ['an unknown format', { logs: { format: 'pretty' } }, /telemetry\.logs\.format: must be json or text/],
    [
      'an unknown level',
      { logs: { level: 'verbose' } },
      /telemetry\.logs\.level: must be one of trace, debug, info, warn, error/,
    ],
    ['a misspelt part', { metric: { bindAddress: '0.0.0.0:9464' } }, /telemetry: Unrecognized key: "metric"/],
    ['a misspelt field', { metrics: { bind: '0.0.0.0:9464' } }, /telemetry\.metrics(\.bindAddress)?: /],
  ];
  for (const [what, telemetry, message] of bad)
    it(`refuses ${what}, naming the field`, function () {
      assert.throws(
        () => parseWorkerConfig({ ...readWorker, telemetry }),
        (err: Error) => err instanceof WorkerConfigError && message.test(err.message),
      );
    });
});

describe('the worker log', function () {
  function capture(logs: ConstructorParameters<typeof WorkerLogger>[0]) {
    const lines: string[] = [];
    return { logger: new WorkerLogger(logs, (line) => lines.push(line)), lines };
  }

  it('writes one JSON object a line, with level, time, message and fields; drops what is below its level', function () {
    const { logger, lines } = capture({ format: 'json', level: 'info' });
    logger.debug('not shown');
    logger.info('ekm worker: polling', { taskQueue: 'q', attempt: 2n });
    logger.error('failed', { error: new Error('boom') });
    assert.equal(lines.length, 2);
    const [info, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(info!.level, 'info');
    assert.equal(info!.msg, 'ekm worker: polling');
    assert.equal(info!.taskQueue, 'q');
    assert.equal(info!.service, 'ekm-worker');
    assert.ok(!Number.isNaN(Date.parse(String(info!.time))));
    assert.equal(error!.level, 'error');
    assert.equal((error!.error as { message: string }).message, 'boom');
  });

  it('writes text lines when asked', function () {
    const { logger, lines } = capture({ format: 'text', level: 'debug' });
    logger.trace('not shown');
    logger.debug('bundling', { size: 3 });
    assert.deepEqual(lines.length, 1);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+ DEBUG bundling \{"size":3\}\n$/);
  });
});
