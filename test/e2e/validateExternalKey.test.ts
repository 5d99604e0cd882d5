// The validateExternalKey activity against the OpenAI twin, run by a workflow on the dev server with its
// retry policy: a refusal is *revoked* only when the twin says so; our own key refused, 429 and 5xx never are.
import assert from 'node:assert/strict';
import { DisableKeyCommand } from '@aws-sdk/client-kms';
import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { readableHistory } from '../fixtures/secrets';
import { call, startTwinWorld, type TwinWorld } from '../fixtures/twin';
import { devEnvironment } from '../fixtures/environments';
import { withWorker } from '../fixtures/worker';
import { validateOnce } from '../workflows/harness';

/** The twin answers the next validate with 429 and Retry-After: 1. */
async function rateLimitNextValidate(w: TwinWorld): Promise<void> {
  await call(w.twin.url, 'POST', '/_twin/faults', w.demo.openai.adminKey, {
    kind: '429',
    path: '/v1/organization/external_keys/*/validate',
    count: 1,
    retryAfterSeconds: 1,
  });
}

describe('validateExternalKey activity', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function validate(w: TwinWorld, adminKey = w.demo.openai.adminKey) {
    const env = await devEnvironment();
    return withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(validateOnce, {
          taskQueue,
          workflowId: `validate-${randomUUID()}`,
          args: [w.demo.openai.externalKeyId],
        });
        try {
          return { record: await handle.result(), handle };
        } catch (err) {
          return { error: err, handle };
        }
      },
      { openai: { baseUrl: w.twin.url, adminKey } },
    );
  }

  it('success while OpenAI can use the key, with the request id as evidence', async function () {
    world = await startTwinWorld();
    const { record } = await validate(world);
    assert.equal(record?.outcome, 'success');
    assert.match(String(record?.requestId), /^req_/);
  });

  it('revoked once the key is disabled', async function () {
    world = await startTwinWorld();
    await world.kms.send(new DisableKeyCommand({ KeyId: world.demo.aws.keyId }));
    const { record } = await validate(world);
    assert.equal(record?.outcome, 'revoked');
    assert.equal(record?.httpStatus, 400);
  });

  it('unknown, never revoked, when OpenAI refuses our own admin key', async function () {
    world = await startTwinWorld();
    const { record } = await validate(world, 'sk-admin-wrong-key');
    assert.equal(record?.outcome, 'unknown');
    assert.equal(record?.httpStatus, 401);
  });

  it('reads a 429 again after its Retry-After within the attempt, then answers', async function () {
    world = await startTwinWorld();
    await rateLimitNextValidate(world);
    const { record, handle } = await validate(world);
    assert.equal(record?.outcome, 'success');
    const history = await handle.fetchHistory();
    const attempts = history
      .events!.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    // The Admin API client sends validate again after the Retry-After itself (adminApi.ts): one attempt.
    assert.deepEqual(attempts, [1], 'the 429 was retried inside the first attempt');
  });

  it('leaves no secret in the run’s history (admin key, project keys, AWS credentials)', async function () {
    world = await startTwinWorld();
    await rateLimitNextValidate(world);
    const { handle } = await validate(world);
    const history = readableHistory(await handle.fetchHistory());
    const secrets = [
      world.demo.openai.adminKey,
      ...world.demo.openai.projects.map((p) => p.apiKey),
      process.env.AWS_SECRET_ACCESS_KEY!,
    ];
    for (const secret of secrets) assert.ok(!history.includes(secret), 'a secret appears in the history');
    assert.ok(history.includes(world.demo.openai.externalKeyId), 'the scan reads decoded payloads');
  });

  it('fails the run (never a verdict) when OpenAI keeps answering 5xx', async function () {
    world = await startTwinWorld();
    await call(world.twin.url, 'POST', '/_twin/faults', world.demo.openai.adminKey, {
      kind: '503',
      path: '/v1/organization/external_keys/*/validate',
      count: 10,
    });
    const { record, error } = await validate(world);
    assert.equal(record, undefined);
    assert.ok(error instanceof WorkflowFailedError);
    assert.match(String((error.cause?.cause as Error | undefined)?.message), /server error \(HTTP 503\)/);
  });
});
