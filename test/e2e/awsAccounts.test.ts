// One deployment, keys in several AWS accounts and regions (aws.accounts): a revocation of a key in the
// second account and another region changes that account's key in moto and nothing in the first account;
// a key in an account the worker is not configured for is refused at preflight, naming the account and
// the field to add, and nothing changes anywhere. The keys are the sandbox's `--keys` fleet
// (sandbox/scaleKeys.ts); the worker assumes a role in each account, as it would at AWS.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Client } from '@temporalio/client';
import { keyWorkflowId } from '../../common/workflowIds';
import type { AwsRevokeKeyInput } from '../../providers/aws/request';
import { keyOf } from '../../providers/runSubject';
import { startGcpKmsFake, type GcpKmsFake } from '../../sandbox/gcp/kmsFake';
import { withMotoAccount } from '../../sandbox/openai/aws/motoAccount';
import { sandboxAwsCredentials } from '../../sandbox/openai/demo';
import { startOpenAiTwin, type OpenAiTwin } from '../../sandbox/openai/twin';
import {
  sandboxWorkerRole,
  seedScaleKeys,
  type ScaleKey,
  type SeededScaleKeys,
} from '../../sandbox/scaleKeys';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import { approvers, requester, sandboxWorkerFor, vote, waitForGate } from '../fixtures/revoke';
import { rememberSecret } from '../fixtures/secrets';
import { moto } from '../fixtures/services';
import { withWorker } from '../fixtures/worker';

type AwsKey = Extract<ScaleKey, { provider: 'aws' }>;

/** What moto holds for a key, read in the key's own account and region: its key policy and its role's. */
async function stateOf(endpoint: string, key: AwsKey): Promise<{ keyPolicy: string; rolePolicy: string }> {
  const config = { endpoint, region: key.region, credentials: sandboxAwsCredentials };
  const kms = withMotoAccount(new KMSClient(config), key.account);
  const iam = withMotoAccount(new IAMClient(config), key.account);
  try {
    const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: key.keyArn, PolicyName: 'default' }));
    const { PolicyDocument } = await iam.send(
      new GetRolePolicyCommand({ RoleName: key.roleArn.split('/').pop()!, PolicyName: 'openai-kms' }),
    );
    return { keyPolicy: Policy!, rolePolicy: PolicyDocument! };
  } finally {
    kms.destroy();
    iam.destroy();
  }
}

async function statesOf(endpoint: string, keys: AwsKey[]) {
  return Promise.all(keys.map((k) => stateOf(endpoint, k)));
}

function messagesOf(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(e.message ?? '');
  return parts.join(' / ');
}

describe('keys in several AWS accounts and regions, one deployment', function () {
  let fake: GcpKmsFake;
  let twin: OpenAiTwin;
  let seeded: SeededScaleKeys;
  let aws: AwsKey[];
  let endpoint: string;

  before(async () => {
    endpoint = (await moto()).endpoint;
    fake = await startGcpKmsFake({});
    twin = await startOpenAiTwin({
      aws: { endpoint, region: 'us-east-1' },
      gcp: { endpoint: fake.address },
      cacheTtlSeconds: 2,
    });
    // Five keys: AWS 111111111111/us-east-1, 222222222222/us-east-1, 111111111111/eu-west-1,
    // 222222222222/eu-west-1 (each account's keys behind its shared role <prefix>-1), and one in Cloud KMS.
    seeded = await seedScaleKeys({
      motoEndpoint: endpoint,
      fake,
      twin,
      count: 5,
      // Other suites seed the same moto: roles of this suite's own.
      rolePrefix: `ekm-shared-${randomUUID().slice(0, 8)}`,
    });
    rememberSecret(twin.store.data.adminKey);
    seeded.projectApiKeys.forEach((p) => rememberSecret(p.apiKey));
    aws = seeded.keys.filter((k): k is AwsKey => k.provider === 'aws');
  });
  after(async () => {
    await twin?.close();
    await fake?.close();
  });

  const requestFor = (key: AwsKey): AwsRevokeKeyInput => ({
    provider: 'aws',
    product: 'api',
    keyArn: key.keyArn,
    roleArn: key.roleArn,
    method: 'key-policy-deny',
    externalKeyId: key.externalKeyId,
    // key-policy-deny leaves the shared role's other keys alone: only this key's projects are in its blast radius.
    projectIds: key.projects.map((p) => p.id),
    probes: key.projects.flatMap((p) => [
      { projectId: p.id, kind: 'file' as const, id: p.probes.fileId },
      { projectId: p.id, kind: 'response' as const, id: p.probes.responseId },
    ]),
    requester,
    reason: 'rehearsal: a key in the second account is suspected compromised',
    changeTicket: 'CHG-18',
  });

  const startRevocation = (client: Client, taskQueue: string, key: AwsKey) => {
    const request = requestFor(key);
    return client.workflow.start(revokeKey, {
      taskQueue,
      workflowId: keyWorkflowId(keyOf(request)),
      args: [request],
    });
  };

  const workerFor = (accounts: string[]) => ({
    ...sandboxWorkerFor({
      twinUrl: twin.url,
      adminKey: twin.store.data.adminKey,
      projectKeys: Object.fromEntries(seeded.projectApiKeys.map((p) => [p.projectId, p.apiKey])),
      aws: true,
      cloudTrailEndpoint: twin.url,
    }),
    awsAccounts: Object.fromEntries(
      accounts.map((a) => [a, { credentials: { roleToAssume: sandboxWorkerRole(a) } }]),
    ),
  });

  it("revokes a key in the second account's other region, leaving the first account untouched", async () => {
    const target = aws.find((k) => k.account === '222222222222' && k.region === 'eu-west-1')!;
    assert.ok(target, 'the fleet has a key in 222222222222/eu-west-1');
    const before = await statesOf(endpoint, aws);
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await startRevocation(client, taskQueue, target);
        try {
          await vote(handle, 'revoke', approvers[0]!);
          // The archive gate comes after the change was made, validated through the twin and probed.
          await waitForGate(handle, 'archive');
        } finally {
          await handle.terminate('the test read what it needed').catch(() => undefined);
        }
      },
      workerFor(['111111111111', '222222222222']),
    );
    const after = await statesOf(endpoint, aws);
    aws.forEach((key, i) => {
      if (key === target) {
        assert.notEqual(after[i]!.keyPolicy, before[i]!.keyPolicy, 'the key policy in 222222222222 changed');
        assert.match(after[i]!.keyPolicy, /"Deny"/);
        assert.ok(after[i]!.keyPolicy.includes(target.roleArn), 'the deny names the role');
      } else assert.deepEqual(after[i], before[i], `${key.keyArn} is unchanged`);
    });
  });

  it('refuses at preflight a key in an account the worker is not configured for, changing nothing', async () => {
    const target = aws.find((k) => k.account === '111111111111')!;
    const before = await statesOf(endpoint, aws);
    const refusal = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await startRevocation(client, taskQueue, target);
        return handle.result().then(
          (status) => JSON.stringify(status),
          (err: unknown) => messagesOf(err),
        );
      },
      workerFor(['222222222222']),
    );
    assert.match(refusal, /account 111111111111/);
    assert.match(refusal, /aws\.accounts/);
    assert.deepEqual(await statesOf(endpoint, aws), before, 'nothing changed in either account');
  });
});
