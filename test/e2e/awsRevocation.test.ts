// The AWS activities of the revocation runbook against moto, judged by the OpenAI twin: before a method,
// the twin's validate succeeds; after it, validate fails (the twin decides access live from moto's state,
// as AWS would); a second revoke changes nothing in moto; restore puts access back, and a second restore
// changes nothing either. Then the replacement key, its role, and the old key's deletion.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
} from '@aws-sdk/client-kms';
import { ApplicationFailure } from '@temporalio/common';
import type { AwsClients } from '../../providers/aws/activities/clients';
import { cancelAwsKeyDeletion, scheduleAwsKeyDeletion } from '../../providers/aws/activities/keyDeletion';
import {
  createReplacementKeyOnce,
  findReplacementKey,
  grantOpenAiAccess,
  stepTag,
  ownerProofTag,
  workflowIdTag,
} from '../../providers/aws/activities/replacementKey';
import { restoreAwsAccessActivity } from '../../providers/aws/activities/restoreAccess';
import { revokeAwsAccessActivity } from '../../providers/aws/activities/revokeAccess';
import { snapshotAwsAccessActivity } from '../../providers/aws/activities/snapshotAccess';
import { EkmError } from '../../common/errors';
import type { AwsRevocationMethod } from '../../providers/aws/request';
import { openAiVendorRoleArn } from '../../sandbox/openai/aws/provider';
import { kmsPolicyFor, sandboxAwsCredentials, trustPolicyFor } from '../../sandbox/openai/demo';
import { testOwnership } from '../fixtures/ownership';
import { call, startTwinWorld, type TwinWorld } from '../fixtures/twin';

const vendorPrincipals = [openAiVendorRoleArn];
const clientsOf = (w: TwinWorld): AwsClients => ({ kms: w.kms, iam: w.iam, tagging: w.tagging });
const roleName = (w: TwinWorld) => w.demo.aws.roleArn.split('/').pop()!;
const unique = () => randomBytes(4).toString('hex');

async function validate(w: TwinWorld, externalKeyId = w.demo.openai.externalKeyId) {
  return call(
    w.twin.url,
    'POST',
    `/v1/organization/external_keys/${externalKeyId}/validate`,
    w.demo.openai.adminKey,
  );
}

async function assertValidates(w: TwinWorld, externalKeyId?: string) {
  assert.deepEqual((await validate(w, externalKeyId)).body, { status: 'success' });
}

/** Validate fails, and the twin's oracle says why (`because`: the rule the method relies on). */
async function assertRefused(w: TwinWorld, because?: RegExp) {
  const v = await validate(w);
  assert.equal(v.status, 400, JSON.stringify(v.body));
  const { message } = (v.body as { error: { message: string } }).error;
  assert.match(message, /error surfaced from the cloud provider/);
  if (because) assert.match(message, because);
}

/** Everything moto holds that a method could touch, as moto answers it (raw text, grant ids included). */
async function awsState(w: TwinWorld) {
  const name = roleName(w);
  const { keyId } = w.demo.aws;
  const { PolicyNames = [] } = await w.iam.send(new ListRolePoliciesCommand({ RoleName: name }));
  const inline: Record<string, string | undefined> = {};
  for (const PolicyName of PolicyNames)
    inline[PolicyName] = (
      await w.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName }))
    ).PolicyDocument;
  return {
    trust: (await w.iam.send(new GetRoleCommand({ RoleName: name }))).Role?.AssumeRolePolicyDocument,
    inline,
    attached: (await w.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies,
    keyPolicy: (await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy,
    keyState: (await w.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState,
    grants: (await w.kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants,
  };
}
type AwsState = Awaited<ReturnType<typeof awsState>>;

/** A re-created grant is the same grant but for its id (KMS gives it a new one). */
const withoutGrantIds = (s: AwsState) => ({ ...s, grants: s.grants?.map(({ GrantId: _id, ...g }) => g) });

function failureOfType(type: string, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    assert.equal(err.nonRetryable, true);
    if (message) assert.match(err.message, message);
    return true;
  };
}

/** Each method, the way the seed gives OpenAI access, what its description says, and why the oracle refuses. */
const methods: {
  method: AwsRevocationMethod;
  accessBy: 'role' | 'grant';
  says: RegExp;
  because: RegExp;
}[] = [
  {
    method: 'remove-trust',
    accessBy: 'role',
    says: /UpdateAssumeRolePolicy .*"EkmRevokedOpenAI[0-9a-f]{16}"/,
    because: /"EkmRevokedOpenAI[0-9a-f]{16}" denies sts:AssumeRole/,
  },
  {
    method: 'remove-trust',
    accessBy: 'grant',
    says: /UpdateAssumeRolePolicy .*"EkmRevokedOpenAI[0-9a-f]{16}"/,
    because: /"EkmRevokedOpenAI[0-9a-f]{16}" denies sts:AssumeRole/,
  },
  {
    method: 'remove-key-permission',
    accessBy: 'role',
    says: /deleted inline policy openai-kms/,
    because: /no grant, key policy or role policy allows/,
  },
  {
    method: 'key-policy-deny',
    accessBy: 'role',
    says: /PutKeyPolicy .*EkmRevokeOpenAI/,
    because: /key policy statement "EkmRevokeOpenAI" denies/,
  },
  {
    method: 'key-policy-deny',
    accessBy: 'grant',
    says: /PutKeyPolicy .*EkmRevokeOpenAI/,
    because: /key policy statement "EkmRevokeOpenAI" denies/,
  },
  {
    method: 'revoke-grant',
    accessBy: 'grant',
    says: /RevokeGrant .*"openai-ekm-/,
    because: /no grant, key policy or role policy allows/,
  },
  {
    method: 'disable-key',
    accessBy: 'role',
    says: /DisableKey .*Enabled → Disabled/,
    because: /DisabledException/,
  },
  {
    method: 'disable-key',
    accessBy: 'grant',
    says: /DisableKey .*Enabled → Disabled/,
    because: /DisabledException/,
  },
];

describe('AWS revocation activities', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  for (const { method, accessBy, says, because } of methods) {
    it(`${method} (access by ${accessBy}): validate fails after revoke, a second revoke changes nothing, restore brings it back once`, async function () {
      world = await startTwinWorld({ accessBy });
      const { keyArn, roleArn } = world.demo.aws;
      const clients = clientsOf(world);
      const revoke = revokeAwsAccessActivity(clients, { vendorPrincipals });
      const restore = restoreAwsAccessActivity(clients);
      await assertValidates(world);
      const before = await awsState(world);
      const snapshot = await snapshotAwsAccessActivity(clients)({ keyArn, roleArn });

      const first = await revoke({ method, keyArn, roleArn, snapshot });
      assert.equal(first.changed, true, first.description);
      assert.equal(first.method, method);
      assert.match(first.description, says);
      await assertRefused(world, because);
      const revoked = await awsState(world);

      const second = await revoke({ method, keyArn, roleArn, snapshot });
      assert.equal(second.changed, false, second.description);
      assert.deepEqual(await awsState(world), revoked, 'a second revoke writes nothing');
      await assertRefused(world, because);

      const restored = await restore({ method, snapshot });
      assert.equal(restored.changed, true, restored.description);
      await assertValidates(world);
      const after = await awsState(world);
      if (method === 'revoke-grant') {
        assert.deepEqual(withoutGrantIds(after), withoutGrantIds(before));
        assert.match(restored.description, /as grant \S+ \(was \S+\).*ids and tokens are new/);
      } else {
        assert.deepEqual(after, before, 'restore puts back exactly what was there');
      }

      const again = await restore({ method, snapshot });
      assert.equal(again.changed, false, again.description);
      assert.deepEqual(await awsState(world), after, 'a second restore writes nothing');
    });
  }

  it('snapshot: the key, the role, its grants, and who else the key and the role serve', async function () {
    world = await startTwinWorld({ accessBy: 'grant' });
    const { keyArn, keyId, roleArn, accountId, externalId } = world.demo.aws;
    const name = roleName(world);
    const app = `arn:aws:iam::${accountId}:role/app-${unique()}`;
    await world.kms.send(
      new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: app, Operations: ['Decrypt'] }),
    );
    const { KeyMetadata: other } = await world.kms.send(new CreateKeyCommand({ Description: 'another key' }));
    await world.iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: 'other-key',
        PolicyDocument: JSON.stringify(kmsPolicyFor(other!.Arn!)),
      }),
    );
    const { Policy } = await world.iam.send(
      new CreatePolicyCommand({
        PolicyName: `wide-${unique()}`,
        PolicyDocument: JSON.stringify(kmsPolicyFor('*')),
      }),
    );
    await world.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: Policy!.Arn! }));

    const snapshot = await snapshotAwsAccessActivity(clientsOf(world))({ keyArn, roleArn });
    assert.deepEqual(snapshot.key, {
      arn: keyArn,
      keyId,
      state: 'Enabled',
      policy: (await world.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy,
    });
    assert.deepEqual(
      JSON.parse(snapshot.role.trustPolicy),
      trustPolicyFor(externalId),
      'decoded from URL encoding',
    );
    assert.deepEqual(snapshot.role.inlinePolicies, [
      { name: 'other-key', document: JSON.stringify(kmsPolicyFor(other!.Arn!)) },
    ]);
    assert.deepEqual(snapshot.role.attachedPolicies, [{ arn: Policy!.Arn!, name: Policy!.PolicyName! }]);
    assert.equal(snapshot.grants.length, 1, 'only the grants to the role');
    assert.deepEqual(
      { ...snapshot.grants[0], grantId: undefined },
      {
        grantId: undefined,
        name: `openai-ekm-${name.split('-').pop()}`,
        granteePrincipal: roleArn,
        operations: ['Encrypt', 'Decrypt'],
      },
    );
    assert.deepEqual(snapshot.otherKeyPrincipals, [`arn:aws:iam::${accountId}:root`, app].sort());
    assert.deepEqual(snapshot.otherKeysTheRoleCanUse, ['*', other!.Arn!].sort());
  });

  it('remove-key-permission refuses a permission that comes from an attached managed policy, changing nothing', async function () {
    world = await startTwinWorld();
    const { keyArn, roleArn } = world.demo.aws;
    const policyName = `openai-kms-managed-${unique()}`;
    const { Policy } = await world.iam.send(
      new CreatePolicyCommand({
        PolicyName: policyName,
        PolicyDocument: JSON.stringify(kmsPolicyFor(keyArn)),
      }),
    );
    await world.iam.send(new AttachRolePolicyCommand({ RoleName: roleName(world), PolicyArn: Policy!.Arn! }));
    await world.iam.send(
      new DeleteRolePolicyCommand({ RoleName: roleName(world), PolicyName: 'openai-kms' }),
    );
    await assertValidates(world);
    const before = await awsState(world);

    const revoke = revokeAwsAccessActivity(clientsOf(world), { vendorPrincipals });
    await assert.rejects(
      revoke({ method: 'remove-key-permission', keyArn, roleArn }),
      failureOfType(
        EkmError.MethodNotApplicable,
        new RegExp(`managed policy ${policyName}.*use key-policy-deny`),
      ),
    );
    assert.deepEqual(await awsState(world), before);
    await assertValidates(world);
  });

  it('a method with nothing to revoke, then or now, is MethodNotApplicable', async function () {
    world = await startTwinWorld({ accessBy: 'grant' });
    const { keyArn, roleArn } = world.demo.aws;
    const clients = clientsOf(world);
    const snapshot = await snapshotAwsAccessActivity(clients)({ keyArn, roleArn });
    const revoke = revokeAwsAccessActivity(clients, { vendorPrincipals });
    await assert.rejects(
      revoke({ method: 'remove-key-permission', keyArn, roleArn, snapshot }),
      failureOfType(EkmError.MethodNotApplicable, /no policy of .* allows kms:Encrypt.*use revoke-grant/),
    );
    await world.close();

    world = await startTwinWorld({ accessBy: 'role' });
    const role = world.demo.aws;
    await assert.rejects(
      revokeAwsAccessActivity(clientsOf(world), { vendorPrincipals })({
        method: 'revoke-grant',
        keyArn: role.keyArn,
        roleArn: role.roleArn,
      }),
      failureOfType(EkmError.MethodNotApplicable, /no grant on .* has .* as grantee/),
    );
    await assertValidates(world);
  });

  it('replacement: one CreateKey, found again by its tags; the role is made once and OpenAI can use the key', async function () {
    world = await startTwinWorld();
    const clients = clientsOf(world);
    const workflowId = `ekm-key:test-${unique()}`;
    const created = await createReplacementKeyOnce(
      clients,
      testOwnership(),
    )({
      workflowId,
      step: 'replacement-key',
      description: 'ekm test: replacement',
    });
    assert.match(created.keyArn, new RegExp(`:key/${created.keyId}$`));
    const find = findReplacementKey(clients, testOwnership());
    assert.deepEqual(await find({ workflowId, step: 'replacement-key' }), created);
    assert.equal(await find({ workflowId, step: 'another-step' }), null);
    assert.equal(await find({ workflowId: `${workflowId}-other`, step: 'replacement-key' }), null);

    const grant = grantOpenAiAccess(clients, { vendorPrincipals, ownership: testOwnership() });
    const name = `ekm-openai-replacement-${unique()}`;
    const request = { keyArn: created.keyArn, roleName: name, externalId: world.demo.aws.externalId };
    const { roleArn } = await grant(request);
    const readRole = async () => ({
      trust: (await world!.iam.send(new GetRoleCommand({ RoleName: name }))).Role?.AssumeRolePolicyDocument,
      inline: (
        await world!.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'openai-ekm-kms' }))
      ).PolicyDocument,
    });
    const made = await readRole();
    assert.deepEqual(await grant(request), { roleArn }, 'the same role');
    assert.deepEqual(await readRole(), made, 'nothing rewritten');

    const registered = await call(
      world.twin.url,
      'POST',
      '/v1/organization/external_keys',
      world.demo.openai.adminKey,
      {
        type: 'aws',
        name: 'replacement',
        role_arn: roleArn,
        kms_arn: created.keyArn,
        external_id: world.demo.openai.orgId,
      },
    );
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    await assertValidates(world, (registered.body as { id: string }).id);
  });

  it('grantOpenAiAccess (runs from before the ownership marker) sets the trust policy of an existing role with the same name', async function () {
    world = await startTwinWorld();
    const name = `ekm-openai-replacement-${unique()}`;
    await world.iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor('org-someone-else')),
      }),
    );
    await grantOpenAiAccess(clientsOf(world), { vendorPrincipals, ownership: testOwnership() })({
      keyArn: world.demo.aws.keyArn,
      roleName: name,
      externalId: world.demo.aws.externalId,
    });
    const { Role } = await world.iam.send(new GetRoleCommand({ RoleName: name }));
    assert.deepEqual(
      JSON.parse(decodeURIComponent(Role!.AssumeRolePolicyDocument!)),
      trustPolicyFor(world.demo.aws.externalId),
    );
  });

  it('findReplacementKey adopts only a key carrying this worker’s proof: a copy of the run’s tags is not ours', async function () {
    world = await startTwinWorld();
    const workflowId = `ekm-key:test-${unique()}`;
    const tags = [
      { TagKey: workflowIdTag, TagValue: workflowId },
      { TagKey: stepTag, TagValue: 'replacement-key' },
    ];
    // Anyone with kms:CreateKey can read the run's ids and plant a key with its tags, even a forged proof.
    const planted = await world.kms.send(
      new CreateKeyCommand({ Tags: [...tags, { TagKey: ownerProofTag, TagValue: 'ab'.repeat(20) }] }),
    );
    const find = findReplacementKey(clientsOf(world), testOwnership());
    await assert.rejects(
      find({ workflowId, step: 'replacement-key' }),
      failureOfType(EkmError.NameTaken, new RegExp(`${planted.KeyMetadata!.Arn}.*without this worker`)),
    );
    // A key the worker made under its proof is found; beside a planted one, a person still decides.
    const ours = await createReplacementKeyOnce(
      clientsOf(world),
      testOwnership(),
    )({
      workflowId,
      step: 'replacement-key-2',
      description: 'ekm test: replacement',
    });
    assert.deepEqual(await find({ workflowId, step: 'replacement-key-2' }), ours);
  });

  it('findReplacementKey reads the run’s tags from AWS’s tag index: no listing of the account’s keys', async function () {
    world = await startTwinWorld();
    const w = world;
    // An account with more keys than one ListKeys page holds, some tagged by other runs.
    for (let i = 0; i < 120; i++)
      await w.kms.send(
        new CreateKeyCommand({
          Tags: [
            { TagKey: workflowIdTag, TagValue: `ekm-key:other-${i}/run` },
            { TagKey: stepTag, TagValue: 'replacement-key' },
          ],
        }),
      );
    const workflowId = `ekm-key:test-${unique()}/run`;
    const ours = await createReplacementKeyOnce(
      clientsOf(w),
      testOwnership(),
    )({ workflowId, step: 'replacement-key', description: 'ekm test: replacement' });
    // What the find asks KMS, counted as the client sends it (this world's client, this test's only).
    const kmsCalls: string[] = [];
    w.kms.middlewareStack.add(
      (next, context) => (args) => {
        kmsCalls.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'countKmsCalls' },
    );
    const find = findReplacementKey(clientsOf(w), testOwnership());
    assert.deepEqual(await find({ workflowId, step: 'replacement-key' }), ours);
    assert.equal(await find({ workflowId, step: 'replacement-key-2' }), null);
    assert.deepEqual(
      kmsCalls,
      ['ListResourceTagsCommand', 'DescribeKeyCommand'],
      'KMS is asked about the run’s own key only, whatever the account holds',
    );
  });

  it('grantOpenAiAccess never re-points a role of its name that this worker did not make, unless a person adopts it', async function () {
    world = await startTwinWorld();
    const name = `ekm-openai-planted-${unique()}`;
    const foreignTrust = JSON.stringify(trustPolicyFor('org-someone-else'));
    await world.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: foreignTrust }));
    const grant = grantOpenAiAccess(clientsOf(world), { vendorPrincipals, ownership: testOwnership() });
    const request = {
      keyArn: world.demo.aws.keyArn,
      roleName: name,
      externalId: world.demo.aws.externalId,
      step: 'replacement-role',
    };
    await assert.rejects(grant(request), failureOfType(EkmError.NameTaken, /without this worker/));
    const untouched = await world.iam.send(new GetRoleCommand({ RoleName: name }));
    assert.deepEqual(
      JSON.parse(decodeURIComponent(untouched.Role!.AssumeRolePolicyDocument!)),
      JSON.parse(foreignTrust),
      'the planted role is left as it was',
    );
    await grant({ ...request, adopt: true });
    const adopted = await world.iam.send(new GetRoleCommand({ RoleName: name }));
    assert.deepEqual(
      JSON.parse(decodeURIComponent(adopted.Role!.AssumeRolePolicyDocument!)),
      trustPolicyFor(world.demo.aws.externalId),
    );
    // A role the worker made itself carries its proof: a retry of the same step goes on without a person.
    const own = { ...request, roleName: `ekm-openai-own-${unique()}` };
    const { roleArn } = await grant(own);
    assert.deepEqual(await grant(own), { roleArn });
  });

  it('createReplacementKeyOnce sends CreateKey exactly once, even when the answer is a 500', async function () {
    let requests = 0;
    const server = createServer((req, res) => {
      requests += 1;
      req.resume();
      res.writeHead(500, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'KMSInternalException',
      });
      res.end(
        JSON.stringify({ __type: 'KMSInternalException', message: 'the sandbox failed after creating' }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = { endpoint, region: 'us-east-1', credentials: sandboxAwsCredentials };
    const clients = { kms: new KMSClient(options), iam: new IAMClient(options) };
    try {
      await assert.rejects(
        createReplacementKeyOnce(
          clients,
          testOwnership(),
        )({
          workflowId: 'ekm-key:once',
          step: 'replacement-key',
          description: 'x',
        }),
        failureOfType('CreateOutcomeUnknown', /may or may not have made a key.*findReplacementKey/),
      );
      assert.equal(requests, 1);
    } finally {
      clients.kms.destroy();
      clients.iam.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('key deletion: scheduled once (a second call answers the same date), checked range, cancelled once', async function () {
    world = await startTwinWorld();
    const { keyArn } = world.demo.aws;
    const schedule = scheduleAwsKeyDeletion(clientsOf(world));
    await assert.rejects(schedule({ keyArn, days: 3 }), failureOfType(EkmError.InvalidInput, /7 to 30/));
    const first = await schedule({ keyArn, days: 7 });
    assert.equal(first.changed, true);
    const days = (Date.parse(first.deletionDate) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, `deletion in ${days} days`);
    const second = await schedule({ keyArn, days: 7 });
    assert.deepEqual(second, { deletionDate: first.deletionDate, changed: false });
    await assertRefused(world, /KMSInvalidStateException: .* is PendingDeletion/);

    const cancel = cancelAwsKeyDeletion(clientsOf(world));
    const cancelled = await cancel({ keyArn });
    assert.equal(cancelled.changed, true);
    assert.equal(cancelled.state, 'Disabled', 'KMS leaves a key whose deletion is cancelled Disabled');
    assert.equal((await cancel({ keyArn })).changed, false);
  });
});
