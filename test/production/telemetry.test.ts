// The worker binary's telemetry (docs/telemetry.md), seen from outside as an operator would: a revocation
// through the real `node dist/worker/main.js` on the dev server, against moto and the OpenAI twin, with the
// `telemetry` section set. Prometheus scrapes /metrics while the run goes on and sees the SDK's workflow
// and activity counters move; a local OTLP receiver gets the spans of the run and of its activities; the
// log is one JSON object a line with no secret in it; /healthz and /readyz answer, readyz false until
// Temporal is reachable and again when it is gone.
//
// A worker process, not withWorker: Runtime.install runs once a process, and the test process's Runtime is
// the fixtures' (test/fixtures/services.ts). The process is also what the telemetry is for.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { ServiceProcess } from '../../sandbox/process';
import { freePort } from '../../sandbox/ports';
import { startWorkerProcess } from '../../sandbox/workerProcess';
import { revokeKey } from '../../workflows/revokeKey';
import { waitFor } from '../fixtures/crash';
import { devEnvironment } from '../fixtures/environments';
import { startGateProxy, type GateProxy } from '../fixtures/gateProxy';
import { startOtlpReceiver, type OtlpReceiver } from '../fixtures/otlpReceiver';
import { crashProviders, workerBinarySetup, type CrashWorld } from '../fixtures/providers/crash';
import { approvers, vote, waitForGate } from '../fixtures/revoke';
import { knownSecrets, readableLog, secretsIn } from '../fixtures/secrets';
import { devServer, moto } from '../fixtures/services';

interface HttpAnswer {
  status: number;
  body: string;
}
async function get(url: string): Promise<HttpAnswer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

/** A metric's value summed over the series carrying every one of `labels` (e.g. the test's task queue). */
function metric(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (match[2] ?? '').includes(`${k}="${v}"`))) continue;
    sum += Number(match[3]);
  }
  return sum;
}

describe('worker telemetry: metrics, traces, JSON logs, health (the worker binary)', function () {
  this.timeout(300_000);
  const aws = crashProviders.find((p) => p.provider === 'aws')!;
  let w: CrashWorld | undefined;
  let receiver: OtlpReceiver | undefined;
  let gate: GateProxy | undefined;
  let worker: ServiceProcess | undefined;
  let leftover: WorkflowHandle | undefined;

  after(async function () {
    await leftover?.terminate('telemetry test cleanup').catch(() => undefined);
    await worker?.stop();
    await gate?.cut().catch(() => undefined);
    await receiver?.close();
    await w?.close();
  });

  it('serves health, readiness, Prometheus metrics and OTLP spans of a revocation, and logs JSON with no secret', async function () {
    w = await aws.start();
    receiver = await startOtlpReceiver();
    const env = await devEnvironment();
    // Temporal is reachable only once the gate opens: readiness must say false until then.
    gate = await startGateProxy((await devServer()).address);
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const health = `http://127.0.0.1:${healthPort}`;
    const taskQueue = `test-telemetry-${randomUUID()}`;
    const setup = workerBinarySetup(w, taskQueue);
    const ours = { task_queue: taskQueue };
    const ourRuns = { ...ours, workflow_type: 'revokeKey' };
    const starting = startWorkerProcess({
      temporalAddress: gate.address,
      config: {
        ...setup.config((await moto()).endpoint),
        telemetry: {
          metrics: { bindAddress: `127.0.0.1:${metricsPort}` },
          health: { bindAddress: `127.0.0.1:${healthPort}` },
          otlp: { endpoint: receiver.endpoint },
          // debug: the activities' own log lines too, all of them scanned for secrets below.
          logs: { format: 'json', level: 'debug' },
        },
      },
      env: setup.env,
      logName: 'worker-telemetry',
    });
    starting.catch(() => undefined);

    // Up, not ready: the process serves /healthz while its connection to Temporal waits at the gate.
    const up = await waitFor(
      'GET /healthz to answer',
      () => get(`${health}/healthz`).catch(() => undefined),
      {
        timeoutMs: 120_000,
        intervalMs: 100,
      },
    );
    assert.equal(up.status, 200);
    assert.deepEqual(JSON.parse(up.body), { status: 'up' });
    const notYet = await get(`${health}/readyz`);
    assert.equal(notYet.status, 503, notYet.body);
    assert.deepEqual(JSON.parse(notYet.body), { ready: false, temporal: 'connecting', worker: 'starting' });

    gate.open();
    worker = await starting;
    const ready = await waitFor('GET /readyz to say ready', async () => {
      const answer = await get(`${health}/readyz`);
      return answer.status === 200 ? answer : undefined;
    });
    assert.deepEqual(JSON.parse(ready.body), { ready: true, temporal: 'reachable', worker: 'RUNNING' });

    // Scraped before the run: the counters this task queue's run will move.
    const before = (await get(metricsUrl)).body;
    assert.match(before, /^# (HELP|TYPE) temporal_/m, 'Prometheus text format with the SDK metrics');
    const activitiesBefore = metric(before, 'temporal_activity_execution_latency_count', ours);
    const completedBefore = metric(before, 'temporal_workflow_completed', ourRuns);

    await w.checkBeforeRun();
    const handle = await env.client.workflow.start(revokeKey, {
      taskQueue,
      workflowId: w.workflowId,
      args: [w.request],
    });
    leftover = handle;
    await vote(handle, 'revoke', approvers[0]!);
    // During the run, at its archive gate (the key revoked, validated, probed): activities counted, the
    // run not yet.
    await waitForGate(handle, 'archive');
    const during = (await get(metricsUrl)).body;
    const activitiesDuring = metric(during, 'temporal_activity_execution_latency_count', ours);
    assert.ok(
      activitiesDuring > activitiesBefore,
      `activities executed on ${taskQueue} by the archive gate: ${activitiesBefore} before, ${activitiesDuring} during`,
    );
    assert.equal(metric(during, 'temporal_workflow_completed', ourRuns), completedBefore);
    await vote(handle, 'archive', approvers[1]!);
    const result = await handle.result();
    leftover = undefined;
    assert.equal(result.endState, 'completed', result.endReason);
    await w.checkChangedOnce();
    // The Prometheus exporter reads Core's counters as they are: a scrape after the run sees them moved.
    const after = await waitFor('the run counted in /metrics', async () => {
      const text = (await get(metricsUrl)).body;
      return metric(text, 'temporal_workflow_completed', ourRuns) > completedBefore ? text : undefined;
    });
    const activitiesAfter = metric(after, 'temporal_activity_execution_latency_count', ours);
    assert.ok(
      activitiesAfter > activitiesDuring,
      `activities executed on ${taskQueue}: ${activitiesDuring} at the archive gate, ${activitiesAfter} after`,
    );
    assert.ok(metric(after, 'temporal_workflow_task_execution_latency_count', ourRuns) > 0);
    this.test!.title += ` (${activitiesAfter - activitiesBefore} activities counted)`;

    // The spans of the run and of its activities, in one trace, at the receiver (batched: a few seconds).
    const spans = await waitFor(
      'the run and its activities at the OTLP receiver',
      async () => {
        const all = receiver!.spans();
        // The only revokeKey this worker process ran.
        const run = all.find((s) => s.name === 'RunWorkflow:revokeKey');
        const activities =
          run && all.filter((s) => s.traceId === run.traceId && s.name.startsWith('RunActivity:'));
        return run && activities && activities.some((s) => s.name === `RunActivity:${aws.revokeActivity}`)
          ? { run, activities, all }
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch((err: Error) => {
      const names = [...new Set(receiver!.spans().map((s) => s.name))];
      throw new Error(`${err.message}; received ${names.length} span names: ${names.join(', ')}`);
    });
    assert.equal(spans.run.service, 'ekm-worker');
    assert.ok(
      receiver.contentTypes().every((t) => t.startsWith('application/json')),
      receiver.contentTypes().join(),
    );
    // Each RunActivity span is the child of a StartActivity span the workflow made in the same trace.
    const starts = new Map(
      spans.all.filter((s) => s.traceId === spans.run.traceId).map((s) => [s.spanId, s.name] as const),
    );
    for (const activity of spans.activities)
      assert.equal(
        starts.get(activity.parentSpanId ?? ''),
        activity.name.replace('RunActivity:', 'StartActivity:'),
        `${activity.name}'s parent`,
      );
    this.test!.title += ` (${spans.activities.length} activity spans in the run's trace)`;

    // Temporal gone: still up, no longer ready.
    await gate.cut();
    const gone = await waitFor('GET /readyz to say not ready', async () => {
      const answer = await get(`${health}/readyz`);
      return answer.status === 503 ? answer : undefined;
    });
    assert.equal((JSON.parse(gone.body) as { temporal: string }).temporal, 'unreachable');
    assert.equal((await get(`${health}/healthz`)).status, 200);

    await worker.stop();
    // Every line the process wrote (after the launcher's header line) is a JSON object with a level and a
    // message, and none holds a secret the world handed out (the twin's keys, the AWS secrets).
    const lines = worker
      .output()
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('--- '));
    const notJson = lines.filter((l) => {
      try {
        const entry = JSON.parse(l) as { level?: unknown; msg?: unknown };
        return typeof entry.level !== 'string' || typeof entry.msg !== 'string';
      } catch {
        return true;
      }
    });
    assert.deepEqual(notJson.slice(0, 5), [], `${notJson.length} of ${lines.length} log lines are not JSON`);
    assert.ok(
      lines.some((l) => (JSON.parse(l) as { msg: string }).msg.startsWith('ekm worker: polling task queue')),
    );
    assert.ok(lines.length > 20, `only ${lines.length} log lines`);
    // The scan has something to find: the twin's admin key sat in the worker's environment all along.
    assert.ok(knownSecrets().includes(w.adminKey), 'the admin key is among the secrets scanned for');
    const leaked = lines.filter((l) => secretsIn(readableLog(l)).length);
    assert.deepEqual(leaked, [], 'log lines with a secret in them');
  });
});
