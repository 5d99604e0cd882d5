// The sandbox's quota layer, driven through the real clients: past its rate, moto's proxy answers what AWS
// answers (the SDK sees ThrottlingException / Throttling and classifies it as throttling), the Cloud KMS
// fake RESOURCE_EXHAUSTED, the OpenAI twin 429 with Retry-After; and /_sandbox/calls counts every call
// per action, throttled answers included.
import assert from 'node:assert/strict';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { isThrottlingError } from '@smithy/core/retry';
import { status as grpcStatus } from '@grpc/grpc-js';
import { request } from 'undici';
import { startAwsQuotaProxy, type AwsQuotaProxy } from '../../sandbox/quota/awsProxy';
import { QuotaBook, type ActionCount } from '../../sandbox/quota/quotaBook';
import { startGcpKmsFake, type GcpKmsFake } from '../../sandbox/gcp/kmsFake';
import { kmsClientForFake } from '../../sandbox/openai/gcp/client';
import { startOpenAiTwin, type OpenAiTwin } from '../../sandbox/openai/twin';
import { moto } from '../fixtures/services';

const credentials = { accessKeyId: 'test-not-a-secret', secretAccessKey: 'test-not-a-secret' };

/** Makes `n` calls at once; the errors they ended with, in order (undefined for a success). */
async function burst<T>(n: number, call: () => Promise<T>): Promise<unknown[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      call().then(
        () => undefined,
        (err: unknown) => err,
      ),
    ),
  );
}

async function countsAt(url: string): Promise<Record<string, ActionCount>> {
  const res = await request(`${url}/_sandbox/calls`);
  return ((await res.body.json()) as { actions: Record<string, ActionCount> }).actions;
}

describe('the sandbox quota layer', function () {
  // A hundredth of every published rate, so a burst gets one call through however slowly it is sent:
  // KMS CreateKey 0.05/s, IAM reads 0.2/s, Cloud KMS reads 0.05/s, the Admin API 0.05/s, LookupEvents 0.02/s.
  const scale = 0.01;
  const book = new QuotaBook({ enabled: true, scale });
  let proxy: AwsQuotaProxy;
  let fake: GcpKmsFake;
  let twin: OpenAiTwin;

  before(async () => {
    proxy = await startAwsQuotaProxy({ target: (await moto()).endpoint, book });
    fake = await startGcpKmsFake({ quota: book });
    twin = await startOpenAiTwin({ quota: book });
  });
  after(async () => {
    await proxy?.close();
    await fake?.close();
    await twin?.close();
  });
  beforeEach(() => {
    book.configure({ enabled: true, scale });
    book.reset();
  });

  it('answers AWS KMS and IAM past their rates with the errors the AWS SDK classifies as throttling', async () => {
    // One attempt per call: the SDK's own retries would hide what the layer answered.
    const options = { endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
    const kms = new KMSClient(options);
    const iam = new IAMClient(options);
    try {
      const kmsErrors = await burst(6, () => kms.send(new CreateKeyCommand({ Description: 'quota test' })));
      const throttled = kmsErrors.filter((e) => e !== undefined) as Error[];
      assert.equal(throttled.length, 5, 'a burst of 6 CreateKey: one admitted, five throttled');
      for (const err of throttled) {
        assert.equal(err.name, 'ThrottlingException');
        assert.equal((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 400);
        assert.ok(isThrottlingError(err as never), 'the SDK classifies it as throttling');
      }
      const iamErrors = await burst(5, () => iam.send(new GetRoleCommand({ RoleName: 'none-such' })));
      const iamThrottled = iamErrors.filter((e) => (e as Error).name === 'Throttling') as Error[];
      // One reaches moto (which answers NoSuchEntity), four are throttled.
      assert.equal(iamThrottled.length, 4, iamErrors.map((e) => (e as Error).name).join(', '));
      for (const err of iamThrottled) assert.ok(isThrottlingError(err as never));

      const counts = await countsAt(proxy.endpoint);
      assert.deepEqual(counts['kms:CreateKey'], { calls: 6, throttled: 5 });
      assert.deepEqual(counts['iam:GetRole'], { calls: 5, throttled: 4 });
    } finally {
      kms.destroy();
      iam.destroy();
    }
  });

  it('answers Cloud KMS past its read quota with RESOURCE_EXHAUSTED', async () => {
    const kms = kmsClientForFake(fake.address);
    try {
      const parent = `projects/${fake.projectId}/locations/global`;
      const errors = await burst(4, () => kms.listKeyRings({ parent }, { retry: null } as never));
      const refused = errors.filter((e) => e !== undefined) as { code?: number; details?: string }[];
      assert.equal(refused.length, 3, 'one admitted, three refused');
      for (const err of refused) {
        assert.equal(err.code, grpcStatus.RESOURCE_EXHAUSTED);
        assert.match(err.details ?? '', /Quota exceeded for quota metric 'cloudkms:read'/);
      }
      const counts = book.calls().actions;
      assert.deepEqual(counts['cloudkms:ListKeyRings'], { calls: 4, throttled: 3 });
    } finally {
      await kms.close();
    }
  });

  it("answers the twin's Admin API with 429 and Retry-After, and its trail with ThrottlingException", async () => {
    const admin = () =>
      request(`${twin.url}/v1/organization/projects`, {
        headers: { authorization: `Bearer ${twin.store.data.adminKey}` },
      });
    const answers = await Promise.all(Array.from({ length: 4 }, admin));
    const limited = answers.filter((a) => a.statusCode === 429);
    // One answered, three limited.
    assert.equal(limited.length, 3, answers.map((a) => a.statusCode).join(', '));
    for (const a of limited) {
      assert.ok(Number(a.headers['retry-after']) >= 1, 'Retry-After in whole seconds');
      const body = (await a.body.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'rate_limit_exceeded');
    }
    for (const a of answers.filter((x) => x.statusCode !== 429)) await a.body.dump();

    const trail = new CloudTrailClient({
      endpoint: twin.url,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    try {
      // One answered, two throttled.
      const errors = await burst(3, () => trail.send(new LookupEventsCommand({})));
      const throttled = errors.filter((e) => e !== undefined) as Error[];
      assert.equal(throttled.length, 2);
      for (const err of throttled) {
        assert.equal(err.name, 'ThrottlingException');
        assert.ok(isThrottlingError(err as never));
      }
    } finally {
      trail.destroy();
    }
    const counts = await countsAt(twin.url);
    assert.deepEqual(counts['openai:admin GET /v1/organization/projects'], { calls: 4, throttled: 3 });
    assert.deepEqual(counts['cloudtrail:LookupEvents'], { calls: 3, throttled: 2 });
  });

  it('counts without refusing when off, and resets its counts', async () => {
    book.configure({ enabled: false });
    const kms = new KMSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      const errors = await burst(6, () => kms.send(new CreateKeyCommand({ Description: 'quota off' })));
      assert.deepEqual(errors, Array(6).fill(undefined));
    } finally {
      kms.destroy();
    }
    assert.deepEqual((await countsAt(proxy.endpoint))['kms:CreateKey'], { calls: 6, throttled: 0 });
    const reset = await request(`${proxy.endpoint}/_sandbox/calls`, { method: 'DELETE' });
    assert.deepEqual(((await reset.body.json()) as { actions: object }).actions, {});
  });
});
