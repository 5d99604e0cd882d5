// The OpenAI twin, driven only through undici and the AWS SDK, as the product will drive it: its data
// really depends on the customer's key in moto, decided as AWS would decide it for OpenAI's role.
import assert from 'node:assert/strict';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  DeleteRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  ListGrantsCommand,
  PutKeyPolicyCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { kmsPolicyFor } from '../../sandbox/openai/demo';
import { call, startTwinWorld, testTtlSeconds, type TwinWorld } from '../fixtures/twin';

const roleName = (w: TwinWorld) => w.demo.aws.roleArn.split('/').pop()!;

/** Each AWS way of revoking OpenAI's access, as a customer would do it in their account. */
const revocations: {
  method: string;
  accessBy?: 'role' | 'grant';
  revoke: (w: TwinWorld) => Promise<void>;
}[] = [
  {
    method: 'trust removed from the customer role',
    revoke: (w) =>
      w.iam
        .send(
          new UpdateAssumeRolePolicyCommand({
            RoleName: roleName(w),
            // An empty statement list is refused as malformed: keep a statement that trusts only the account.
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: `arn:aws:iam::${w.demo.aws.accountId}:root` },
                  Action: 'sts:AssumeRole',
                },
              ],
            }),
          }),
        )
        .then(() => undefined),
  },
  {
    method: 'kms permission removed from the role',
    revoke: (w) =>
      w.iam
        .send(new DeleteRolePolicyCommand({ RoleName: roleName(w), PolicyName: 'openai-kms' }))
        .then(() => undefined),
  },
  {
    method: 'key-policy Deny for the role',
    revoke: async (w) => {
      const { Policy } = await w.kms.send(
        new GetKeyPolicyCommand({ KeyId: w.demo.aws.keyId, PolicyName: 'default' }),
      );
      const policy = JSON.parse(Policy!) as { Statement: unknown[] };
      policy.Statement.push({
        Sid: 'RevokeOpenAI',
        Effect: 'Deny',
        Principal: { AWS: w.demo.aws.roleArn },
        Action: ['kms:Encrypt', 'kms:Decrypt'],
        Resource: '*',
      });
      await w.kms.send(
        new PutKeyPolicyCommand({
          KeyId: w.demo.aws.keyId,
          PolicyName: 'default',
          Policy: JSON.stringify(policy),
        }),
      );
    },
  },
  {
    method: 'grant revoked (access came from a grant)',
    accessBy: 'grant',
    revoke: async (w) => {
      const { Grants } = await w.kms.send(new ListGrantsCommand({ KeyId: w.demo.aws.keyId }));
      for (const g of Grants ?? [])
        await w.kms.send(new RevokeGrantCommand({ KeyId: w.demo.aws.keyId, GrantId: g.GrantId! }));
    },
  },
  {
    method: 'key disabled',
    // moto answers 500 to DisableKey given an ARN: the bare key id works.
    revoke: (w) => w.kms.send(new DisableKeyCommand({ KeyId: w.demo.aws.keyId })).then(() => undefined),
  },
  {
    method: 'key pending deletion',
    revoke: (w) =>
      w.kms
        .send(new ScheduleKeyDeletionCommand({ KeyId: w.demo.aws.keyId, PendingWindowInDays: 7 }))
        .then(() => undefined),
  },
];

async function validate(w: TwinWorld) {
  return call(
    w.twin.url,
    'POST',
    `/v1/organization/external_keys/${w.demo.openai.externalKeyId}/validate`,
    w.demo.openai.adminKey,
  );
}

/** The runbook's probes with the project's own key, plus the control call the key does not protect. */
async function probe(w: TwinWorld) {
  const [project] = w.demo.openai.projects;
  const { apiKey, probes } = project!;
  const batch = await call(w.twin.url, 'GET', `/v1/batches/${probes.batchId}`, apiKey);
  const outputFileId = (batch.body as { output_file_id: string }).output_file_id;
  return {
    batchFile: (await call(w.twin.url, 'GET', `/v1/files/${outputFileId}/content`, apiKey)).status,
    response: (await call(w.twin.url, 'GET', `/v1/responses/${probes.responseId}`, apiKey)).status,
    fineTunedModel: (
      await call(w.twin.url, 'GET', `/v1/models/${encodeURIComponent(probes.fineTunedModel)}`, apiKey)
    ).status,
    control: (await call(w.twin.url, 'GET', '/v1/models', apiKey)).status,
  };
}

const readable = { batchFile: 200, response: 200, fineTunedModel: 200, control: 200 };
const denied = { batchFile: 403, response: 403, fineTunedModel: 403, control: 200 };

describe('OpenAI twin', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  for (const { method, accessBy, revoke } of revocations) {
    it(`${method}: validate fails at once, probes read until the cache TTL, then every probe is denied`, async function () {
      world = await startTwinWorld({ accessBy });
      assert.deepEqual((await validate(world)).body, { status: 'success' });
      assert.deepEqual(await probe(world), readable);

      await revoke(world);
      const v = await validate(world);
      assert.equal(v.status, 400);
      assert.match(
        (v.body as { error: { message: string } }).error.message,
        /error surfaced from the cloud provider/,
      );
      assert.deepEqual(await probe(world), readable, 'cached data keys still serve reads');

      world.advance(testTtlSeconds + 1);
      assert.deepEqual(await probe(world), denied);
    });
  }

  it('re-granting access before the TTL makes validate succeed again', async function () {
    world = await startTwinWorld();
    await world.iam.send(
      new DeleteRolePolicyCommand({ RoleName: roleName(world), PolicyName: 'openai-kms' }),
    );
    assert.equal((await validate(world)).status, 400);
    await world.iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName(world),
        PolicyName: 'openai-kms',
        PolicyDocument: JSON.stringify(kmsPolicyFor(world.demo.aws.keyArn)),
      }),
    );
    assert.deepEqual((await validate(world)).body, { status: 'success' });
  });

  it('rotation changes nothing: validate succeeds and old data stays readable after the TTL', async function () {
    world = await startTwinWorld();
    await world.kms.send(
      new EnableKeyRotationCommand({ KeyId: world.demo.aws.keyId, RotationPeriodInDays: 90 }),
    );
    await world.kms.send(new RotateKeyOnDemandCommand({ KeyId: world.demo.aws.keyId }));
    assert.deepEqual((await validate(world)).body, { status: 'success' });
    world.advance(testTtlSeconds + 1);
    assert.deepEqual(await probe(world), readable);
  });

  it('alias re-pointed to another key: validate still succeeds, yet old data becomes unreadable after the TTL', async function () {
    world = await startTwinWorld();
    const { aws, openai } = world.demo;
    // The role may use any key of the account, so only the alias's target changes.
    await world.iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName(world),
        PolicyName: 'openai-kms',
        PolicyDocument: JSON.stringify(kmsPolicyFor(`arn:aws:kms:${aws.region}:${aws.accountId}:key/*`)),
      }),
    );
    const aliasArn = `arn:aws:kms:${aws.region}:${aws.accountId}:${aws.keyAlias}`;
    const registered = await call(world.twin.url, 'POST', '/v1/organization/external_keys', openai.adminKey, {
      type: 'aws',
      name: 'by-alias',
      role_arn: aws.roleArn,
      kms_arn: aliasArn,
      external_id: aws.externalId,
    });
    assert.equal(registered.status, 201);
    const externalKeyId = (registered.body as { id: string }).id;
    const project = await call(world.twin.url, 'POST', '/v1/organization/projects', openai.adminKey, {
      name: 'alias-project',
      external_key_id: externalKeyId,
    });
    const projectId = (project.body as { id: string }).id;
    const stored = await world.twin.ekm.storeObject(
      projectId,
      'response',
      JSON.stringify({ object: 'response' }),
    );
    const account = await call(
      world.twin.url,
      'POST',
      `/v1/organization/projects/${projectId}/service_accounts`,
      openai.adminKey,
      { name: 'probe' },
    );
    const apiKey = (account.body as { api_key: { value: string } }).api_key.value;

    const { KeyMetadata: other } = await world.kms.send(
      new CreateKeyCommand({ Description: 'the alias’s new target' }),
    );
    await world.kms.send(new UpdateAliasCommand({ AliasName: aws.keyAlias, TargetKeyId: other!.KeyId! }));
    const v = await call(
      world.twin.url,
      'POST',
      `/v1/organization/external_keys/${externalKeyId}/validate`,
      openai.adminKey,
    );
    assert.deepEqual(v.body, { status: 'success' }, 'the new target works, so validate cannot tell');
    world.advance(testTtlSeconds + 1);
    const read = await call(world.twin.url, 'GET', `/v1/responses/${stored.id}`, apiKey);
    assert.equal(read.status, 403);
    assert.match((read.body as { error: { message: string } }).error.message, /IncorrectKeyException/);
  });

  it('validate can answer failure as 200 {status:"failure"} when configured so', async function () {
    world = await startTwinWorld({ behaviour: { validateFailure: 'status' } });
    await world.kms.send(new DisableKeyCommand({ KeyId: world.demo.aws.keyId }));
    const v = await validate(world);
    assert.equal(v.status, 200);
    assert.equal((v.body as { status: string }).status, 'failure');
  });

  it('archive is irreversible, and an archived project’s key is refused', async function () {
    world = await startTwinWorld();
    const { adminKey } = world.demo.openai;
    const project = world.demo.openai.projects[0]!;
    const archived = await call(
      world.twin.url,
      'POST',
      `/v1/organization/projects/${project.id}/archive`,
      adminKey,
    );
    assert.equal((archived.body as { status: string }).status, 'archived');
    const again = await call(
      world.twin.url,
      'POST',
      `/v1/organization/projects/${project.id}/archive`,
      adminKey,
    );
    assert.equal((again.body as { status: string }).status, 'archived');
    const rename = await call(world.twin.url, 'POST', `/v1/organization/projects/${project.id}`, adminKey, {
      name: 'revived',
    });
    assert.equal(rename.status, 400);
    const data = await call(world.twin.url, 'GET', '/v1/models', project.apiKey);
    assert.equal(data.status, 401);
    const active = await call(world.twin.url, 'GET', '/v1/organization/projects', adminKey);
    assert.ok(!(active.body as { data: { id: string }[] }).data.some((p) => p.id === project.id));
    const all = await call(
      world.twin.url,
      'GET',
      '/v1/organization/projects?include_archived=true',
      adminKey,
    );
    assert.ok((all.body as { data: { id: string }[] }).data.some((p) => p.id === project.id));
  });

  it('refuses a second registration of the same key, naming the existing external key', async function () {
    world = await startTwinWorld();
    const { aws, openai } = world.demo;
    const again = await call(world.twin.url, 'POST', '/v1/organization/external_keys', openai.adminKey, {
      type: 'aws',
      name: 'again',
      role_arn: aws.roleArn,
      kms_arn: aws.keyArn,
      external_id: aws.externalId,
    });
    assert.equal(again.status, 409);
    assert.match(
      (again.body as { error: { message: string } }).error.message,
      new RegExp(openai.externalKeyId),
    );
  });

  it('refuses to delete an external key used by active projects', async function () {
    world = await startTwinWorld();
    const d = await call(
      world.twin.url,
      'DELETE',
      `/v1/organization/external_keys/${world.demo.openai.externalKeyId}`,
      world.demo.openai.adminKey,
    );
    assert.equal(d.status, 400);
    assert.match((d.body as { error: { message: string } }).error.message, /associated with active projects/);
  });

  it('answers a wrong or missing admin key with 401 in the error envelope, with a request id', async function () {
    world = await startTwinWorld();
    for (const key of ['sk-admin-wrong', undefined, world.demo.openai.projects[0]!.apiKey]) {
      const a = await call(world.twin.url, 'GET', '/v1/organization/external_keys', key);
      assert.equal(a.status, 401);
      const { error } = a.body as { error: { message: string; type: string; code: string; param: unknown } };
      assert.equal(error.code, 'invalid_api_key');
      assert.ok('param' in error && 'type' in error);
      assert.match(String(a.headers['x-request-id']), /^req_/);
    }
  });

  it('paginates lists with limit and after', async function () {
    world = await startTwinWorld();
    const { adminKey } = world.demo.openai;
    const first = await call(world.twin.url, 'GET', '/v1/organization/projects?limit=1', adminKey);
    const page1 = first.body as { data: { id: string }[]; has_more: boolean; last_id: string };
    assert.equal(page1.data.length, 1);
    assert.equal(page1.has_more, true);
    const second = await call(
      world.twin.url,
      'GET',
      `/v1/organization/projects?limit=1&after=${page1.last_id}`,
      adminKey,
    );
    const page2 = second.body as { data: { id: string }[]; has_more: boolean };
    assert.equal(page2.has_more, false);
    assert.notEqual(page2.data[0]!.id, page1.data[0]!.id);
  });

  it('records external_key.registered and project.created in the audit log', async function () {
    world = await startTwinWorld();
    const logs = await call(
      world.twin.url,
      'GET',
      '/v1/organization/audit_logs?event_types[]=project.created',
      world.demo.openai.adminKey,
    );
    assert.equal((logs.body as { data: unknown[] }).data.length, 2);
    const reg = await call(
      world.twin.url,
      'GET',
      '/v1/organization/audit_logs?event_types[]=external_key.registered',
      world.demo.openai.adminKey,
    );
    assert.equal((reg.body as { data: unknown[] }).data.length, 1);
  });

  it('injects a 429 with Retry-After, then answers normally', async function () {
    world = await startTwinWorld();
    const { adminKey, externalKeyId } = world.demo.openai;
    const path = `/v1/organization/external_keys/${externalKeyId}/validate`;
    const fault = await call(world.twin.url, 'POST', '/_twin/faults', adminKey, {
      kind: '429',
      path: '/v1/organization/external_keys/*/validate',
      count: 1,
      retryAfterSeconds: 2,
    });
    assert.equal(fault.status, 201);
    const limited = await call(world.twin.url, 'POST', path, adminKey);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '2');
    const next = await call(world.twin.url, 'POST', path, adminKey);
    assert.deepEqual(next.body, { status: 'success' });
  });

  it('drops the connection when asked, for the requests it names, then answers normally', async function () {
    world = await startTwinWorld();
    const { adminKey } = world.demo.openai;
    await call(world.twin.url, 'POST', '/_twin/faults', adminKey, {
      kind: 'drop',
      path: '/v1/organization/projects',
      method: 'GET',
      count: 1,
    });
    await assert.rejects(
      call(world.twin.url, 'GET', '/v1/organization/projects', adminKey),
      /socket|other side closed|ECONNRESET/i,
    );
    assert.equal((await call(world.twin.url, 'GET', '/v1/organization/projects', adminKey)).status, 200);
  });

  it('apply-then-500 on create project: the project exists although the caller saw a 500', async function () {
    world = await startTwinWorld();
    const { adminKey, externalKeyId } = world.demo.openai;
    await call(world.twin.url, 'POST', '/_twin/faults', adminKey, {
      kind: 'apply-then-500',
      path: '/v1/organization/projects',
      method: 'POST',
      count: 1,
    });
    const created = await call(world.twin.url, 'POST', '/v1/organization/projects', adminKey, {
      name: 'replacement',
      external_key_id: externalKeyId,
    });
    assert.equal(created.status, 500);
    const list = await call(world.twin.url, 'GET', '/v1/organization/projects', adminKey);
    assert.equal(
      (list.body as { data: { name: string }[] }).data.filter((p) => p.name === 'replacement').length,
      1,
    );
  });

  it('serves the twin’s KMS calls to the real CloudTrail client, filterable by the customer role', async function () {
    world = await startTwinWorld();
    world.advance(testTtlSeconds + 1);
    await probe(world); // decrypts through KMS again
    const cloudtrail = new CloudTrailClient({
      endpoint: world.twin.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const { Events = [] } = await cloudtrail.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Decrypt' }],
          StartTime: new Date(Date.now() - 600_000),
        }),
      );
      const byRole = Events.filter((e) => {
        const record = JSON.parse(e.CloudTrailEvent!) as {
          userIdentity: { sessionContext: { sessionIssuer: { arn: string } } };
          eventSource: string;
        };
        return (
          record.userIdentity.sessionContext.sessionIssuer.arn === world!.demo.aws.roleArn &&
          record.eventSource === 'kms.amazonaws.com'
        );
      });
      assert.ok(byRole.length >= 3, `expected the probes' Decrypt calls, got ${byRole.length}`);
      assert.ok(
        byRole.every(
          (e) => e.EventName === 'Decrypt' && e.Resources?.[0]?.ResourceName === world!.demo.aws.keyArn,
        ),
      );
    } finally {
      cloudtrail.destroy();
    }
  });
});
