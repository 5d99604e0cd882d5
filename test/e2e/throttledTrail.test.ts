// Throttling on the audit trail, on the dev server through the real SDK clients: the OpenAI twin's
// CloudTrail answers LookupEvents as AWS does past its rate (HTTP 400, `ThrottlingException` in AWS JSON, so
// the SDK classifies it as throttling). A throttled read is retried and the record keeps its corroboration;
// a read that fails midway resumes from its heartbeat's cursor; the worker's bucket keeps its calls within
// the configured rate (counted in the twin, never timed).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { planWorkflowId } from '../../common/workflowIds';
import { usageWorkflowId } from '../../common/usage';
import { createQuotaLimiter } from '../../activities/quotas/limiters';
import { createAwsClients } from '../../providers/aws/activities/clients';
import { lookupEventsPath } from '../../sandbox/openai/faults';
import type { TrailLookup } from '../../sandbox/openai/trail';
import { quotasOf } from '../../worker/quotas';
import { revokeKey, verifyKeyUsage } from '../../workflows';
import { devEnvironment } from '../fixtures/environments';
import { call, type TwinWorld } from '../fixtures/twin';
import { recordForReplay } from '../fixtures/replay';
import { withWorker } from '../fixtures/worker';
import * as grpc from '@grpc/grpc-js';
import { startGrpcProxy, type GrpcProxy } from '../fixtures/grpcProxy';
import {
  awsRevokeRequest,
  awsScenario,
  gcpRevokeRequest,
  sandboxWorker,
  startGcpRevocationWorld,
  type GcpRevocationWorld,
} from '../fixtures/revoke';

async function armThrottling(w: TwinWorld, rule: { count: number; skip?: number }): Promise<void> {
  const armed = await call(w.twin.url, 'POST', '/_twin/faults', w.demo.openai.adminKey, {
    kind: 'throttling',
    path: lookupEventsPath,
    ...rule,
  });
  assert.equal(armed.status, 201, JSON.stringify(armed.body));
}

const throttled = (lookups: TrailLookup[]) => lookups.filter((l) => l.answer === 'throttled').length;
const pagesServed = (lookups: TrailLookup[]) =>
  lookups.filter((l) => l.answer === 'page').map((l) => l.nextToken ?? 'first');

describe('a throttled audit trail (AWS CloudTrail)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a revocation’s trail read throttled past its attempts is read again: the record keeps its corroboration', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    // More than the revocation's three attempts of three SDK tries each: before, the run gave up here.
    await armThrottling(w, { count: 12 });
    const request = { ...awsRevokeRequest(w.demo, 'key-policy-deny'), planOnly: true };
    const status = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: planWorkflowId(request.keyArn, randomUUID()),
          args: [request],
        });
        const planned = await handle.result();
        // The path behind patched('trail-read-retries-throttling'), kept replaying (test/replay).
        await recordForReplay(handle, 'revokeKey-planned-trail-throttled');
        return planned;
      },
      sandboxWorker(w),
    );
    assert.equal(status.endState, 'planned', status.endReason);
    const before = status.usage?.before;
    assert.ok(before?.report, `the trail was recorded as unreadable: ${JSON.stringify(before)}`);
    assert.equal(before.error, undefined);
    // The real report: OpenAI's registration and the seeded objects used the key before the plan.
    assert.ok(before.report.successful >= 1, JSON.stringify(before.report.operations));
    assert.equal((before.report as { roleArn?: string }).roleArn, request.roleArn);
    const preflight = status.steps.find((s) => s.step === 'preflight');
    assert.match(preflight?.summary ?? '', /last use by OpenAI's role \d{4}-/);
    assert.doesNotMatch(preflight?.summary ?? '', /unreadable/);
    // In the twin: every throttled call was answered so, and the trail was then read to its end.
    const lookups = w.twin.trail.lookups;
    assert.equal(throttled(lookups), 12);
    assert.deepEqual(pagesServed(lookups), ['first']);
  });

  it('a read of many pages that fails midway resumes at its cursor: no page is read twice', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    // 240 uses on a key of its own: five pages of at most 50.
    const keyArn = `arn:aws:kms:us-east-1:${w.demo.aws.keyArn.split(':')[4]}:key/${randomUUID()}`;
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 240; i++)
      w.twin.trail.record({
        eventName: i % 2 ? 'Encrypt' : 'Decrypt',
        keyArn,
        roleArn: w.demo.aws.roleArn,
        sessionName: 'openai-ekm',
      });
    // Pages one and two answer; then CloudTrail throttles the third past the SDK's three tries.
    await armThrottling(w, { skip: 2, count: 4 });
    const result = await withWorker(
      await devEnvironment(),
      (ctx) =>
        ctx.execute(verifyKeyUsage, {
          workflowId: usageWorkflowId(keyArn, randomUUID()),
          args: [{ provider: 'aws', keyArn, roleArn: w.demo.aws.roleArn, since }],
        }),
      sandboxWorker(w),
    );
    const lookups = w.twin.trail.lookups;
    assert.equal(throttled(lookups), 4);
    // Each page served once, in order: the retried attempt began at the third (the twin's cursor is its own).
    const served = pagesServed(lookups);
    assert.equal(served.length, 5, `five pages of 240 events: ${served.join(', ')}`);
    assert.equal(served[0], 'first');
    assert.equal(new Set(served).size, 5, `a page read twice: ${served.join(', ')}`);
    assert.equal(result.usage.eventsScanned, 240);
    assert.equal(result.usage.successful, 240);
    assert.deepEqual(result.usage.operations, {
      Decrypt: { successful: 120, refused: 0 },
      Encrypt: { successful: 120, refused: 0 },
    });
    assert.equal(result.usage.truncated, false);
  });

  it('with a LookupEvents limit of r a second, the trail sees at most burst + r·t calls', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const rate = 4;
    const lookup = (client: ReturnType<typeof createAwsClients>['cloudTrail']) =>
      client!.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: w.demo.aws.keyArn }],
        }),
      );
    /** The calls the twin saw past the budget: for each call, those before it against burst + r·t. */
    const overBudget = (lookups: TrailLookup[], startedAt: number) =>
      lookups.filter((l, i) => i + 1 > Math.max(1, Math.floor(rate)) + (rate * (l.at - startedAt)) / 1000)
        .length;
    const settings = { region: 'us-east-1', cloudTrailEndpoint: w.twin.url };

    // Sixteen calls at once through the worker's limiter.
    const limited = createAwsClients(
      settings,
      createQuotaLimiter({ ...quotasOf({}), cloudTrailLookupEvents: rate }),
    );
    let startedAt = Date.now();
    await Promise.all(Array.from({ length: 16 }, () => lookup(limited.cloudTrail)));
    const seen = w.twin.trail.lookups.splice(0);
    assert.equal(seen.length, 16);
    assert.equal(overBudget(seen, startedAt), 0, JSON.stringify(seen.map((l) => l.at - startedAt)));

    // The same without it: the count shows the difference (the check above can fail).
    const unlimited = createAwsClients(settings);
    startedAt = Date.now();
    await Promise.all(Array.from({ length: 16 }, () => lookup(unlimited.cloudTrail)));
    assert.ok(overBudget(w.twin.trail.lookups.splice(0), startedAt) > 0);
  });
});

describe('a throttled audit trail (Google Cloud Logging)', function () {
  let world: GcpRevocationWorld | undefined;
  let proxy: GrpcProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await world?.close();
    proxy = world = undefined;
  });

  it('a revocation’s Cloud Logging read answered RESOURCE_EXHAUSTED is read again: the record keeps its corroboration', async function () {
    const w = (world = await startGcpRevocationWorld(2));
    // The worker reaches the fake through a proxy that throttles ListLogEntries as Google does past the
    // project's read quota, more times than the revocation's three attempts.
    const listLogEntries = '/google.logging.v2.LoggingServiceV2/ListLogEntries';
    const calls = { throttled: 0, answered: 0 };
    proxy = await startGrpcProxy(w.gcp.fake.address, {
      intercept(path) {
        if (path !== listLogEntries || calls.throttled >= 5) return undefined;
        calls.throttled++;
        return {
          kind: 'refuse',
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: "Quota exceeded for quota metric 'Read requests' of service 'logging.googleapis.com'",
        };
      },
      answered(path) {
        if (path === listLogEntries) calls.answered++;
      },
    });
    const worker = w.worker();
    const request = { ...gcpRevokeRequest(w, 'remove-binding'), planOnly: true };
    const status = await withWorker(
      await devEnvironment(),
      ({ client, taskQueue }) =>
        client.workflow.execute(revokeKey, {
          taskQueue,
          workflowId: planWorkflowId(w.keyName, randomUUID()),
          args: [request],
        }),
      { ...worker, config: { ...worker.config, gcp: { ...worker.config!.gcp!, endpoint: proxy.address } } },
    );
    assert.equal(status.endState, 'planned', status.endReason);
    const before = status.usage?.before;
    assert.ok(before?.report, `the trail was recorded as unreadable: ${JSON.stringify(before)}`);
    assert.ok(before.report.successful >= 1, JSON.stringify(before.report.operations));
    assert.doesNotMatch(status.steps.find((s) => s.step === 'preflight')?.summary ?? '', /unreadable/);
    assert.equal(calls.throttled, 5);
    assert.ok(calls.answered >= 1);
  });
});
