// Issue 18's acceptance test: a fleet of 10 keys over 2 shared roles, 2 accounts and both clouds completes
// with every change exactly once. Eight AWS keys in accounts 111111111111 and 222222222222 (both regions),
// each account's keys behind one shared role (sandbox/scaleKeys.ts, one role per account); in each account
// two keys revoked by remove-key-permission (they take turns on the role), the others by methods that edit
// the key alone (key-policy-deny, revoke-grant, disable-key); two Cloud KMS keys. One worker configured
// for both accounts, one signed fleet approval, the archive approved wave by wave. Checked where it lives:
// moto per account (key policies, grants, key states, the shared roles' inline policies, the replacements
// made in the old key's own account and region), the Cloud KMS fake (bindings), the twin (each old key
// refused, each replacement registered once and usable). A key left out of the fleet behind the same role
// keeps working.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateGrantCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { FleetStatus } from '../../common/fleetStatus';
import { keyWorkflowId } from '../../common/workflowIds';
import { decodePolicyText, keyPolicyDenySid } from '../../providers/aws/activities/policyEdits';
import { workflowIdTag } from '../../providers/aws/activities/replacementKey';
import type { RevokeKeyInput } from '../../providers/requests';
import { keyOf } from '../../providers/runSubject';
import { withMotoAccount } from '../../sandbox/openai/aws/motoAccount';
import { kmsPolicyFor, sandboxAwsCredentials } from '../../sandbox/openai/demo';
import type { RegisteredExternalKey } from '../../sandbox/openai/state';
import { startOpenAiTwin, type OpenAiTwin } from '../../sandbox/openai/twin';
import {
  sandboxWorkerRole,
  seedScaleKeys,
  type ScaleKey,
  type SeededScaleKeys,
} from '../../sandbox/scaleKeys';
import { fleetStatusQuery } from '../../workflows/fleet/messages';
import type { RevokeFleetInput } from '../../workflows/fleet/request';
import { revokeFleet } from '../../workflows/revokeFleet';
import { devEnvironment } from '../fixtures/environments';
import { startGcpWorld, type GcpWorld } from '../fixtures/gcpKms';
import type { RunStatus } from '../fixtures/replacements';
import { approvers, requester, sandboxWorkerFor, vote } from '../fixtures/revoke';
import { rememberSecret } from '../fixtures/secrets';
import { moto } from '../fixtures/services';
import { call } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

type AwsKey = Extract<ScaleKey, { provider: 'aws' }>;
type GcpKey = Extract<ScaleKey, { provider: 'gcp' }>;
type AwsMethod = 'remove-key-permission' | 'key-policy-deny' | 'revoke-grant' | 'disable-key';

const [alice, bob] = approvers as [string, string];
const accounts = ['111111111111', '222222222222'] as const;
/** Per account, in the order of its keys: two runs that queue on the role, two that edit the key alone. */
const methodsOf: Record<(typeof accounts)[number], AwsMethod[]> = {
  '111111111111': ['remove-key-permission', 'remove-key-permission', 'key-policy-deny', 'revoke-grant'],
  '222222222222': ['remove-key-permission', 'remove-key-permission', 'disable-key', 'key-policy-deny'],
};

/** moto's clients for one account and region (moto keeps one world per account). */
function clientsIn(endpoint: string, account: string, region: string) {
  const config = { endpoint, region, credentials: sandboxAwsCredentials };
  return {
    kms: withMotoAccount(new KMSClient(config), account),
    iam: withMotoAccount(new IAMClient(config), account),
  };
}

type Clients = ReturnType<typeof clientsIn>;

async function keyPolicyOf(c: Clients, keyArn: string): Promise<string> {
  return (await c.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy!;
}

/** The keys the shared role's inline policy `openai-kms` lets OpenAI use. */
async function keysTheRoleMayUse(c: Clients, roleArn: string): Promise<string[]> {
  const { PolicyDocument } = await c.iam.send(
    new GetRolePolicyCommand({ RoleName: roleArn.split('/').pop()!, PolicyName: 'openai-kms' }),
  );
  const policy = JSON.parse(decodePolicyText(PolicyDocument!)) as {
    Statement: { Effect: string; Resource?: string | string[] }[];
  };
  return policy.Statement.filter((s) => s.Effect === 'Allow')
    .flatMap((s) => ([] as string[]).concat(s.Resource ?? []))
    .sort();
}

/** Keys in one account and region tagged as made by a run of this workflow id. */
async function keysTaggedFor(c: Clients, workflowId: string): Promise<string[]> {
  const found: string[] = [];
  let marker: string | undefined;
  do {
    const page = await c.kms.send(new ListKeysCommand({ Marker: marker }));
    for (const key of page.Keys ?? []) {
      const { Tags } = await c.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId! }));
      if (Tags?.find((t) => t.TagKey === workflowIdTag)?.TagValue?.startsWith(`${workflowId}/`))
        found.push(key.KeyArn!);
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return found;
}

describe('a fleet of 10 keys over 2 shared roles, 2 accounts and both clouds', function () {
  this.timeout(600_000);
  let gcp: GcpWorld;
  let twin: OpenAiTwin;
  let seeded: SeededScaleKeys;
  let endpoint: string;
  const made: Clients[] = [];
  const clients = (account: string, region: string) => {
    const c = clientsIn(endpoint, account, region);
    made.push(c);
    return c;
  };

  before(async function () {
    this.timeout(300_000);
    endpoint = (await moto()).endpoint;
    gcp = await startGcpWorld({});
    twin = await startOpenAiTwin({
      aws: { endpoint, region: 'us-east-1' },
      gcp: { endpoint: gcp.fake.address },
      cacheTtlSeconds: 2,
    });
    // 9 AWS keys (4 per account over both regions, and a 9th in 111111111111 left out of the fleet) and 3
    // Cloud KMS keys (the 3rd left out), every AWS key of an account behind its one role <prefix>-1.
    seeded = await seedScaleKeys({
      motoEndpoint: endpoint,
      fake: gcp.fake,
      twin,
      count: 12,
      rolesPerAccount: 1,
      rolePrefix: `ekm-shared-${randomUUID().slice(0, 8)}`,
    });
    rememberSecret(twin.store.data.adminKey);
    seeded.projectApiKeys.forEach((p) => rememberSecret(p.apiKey));
  });
  after(async () => {
    for (const c of made) {
      c.kms.destroy();
      c.iam.destroy();
    }
    await twin?.close();
    await gcp?.close();
  });

  it('completes with every change exactly once, each replacement in its old key’s account and region', async function () {
    const aws = seeded.keys.filter((k): k is AwsKey => k.provider === 'aws');
    const gcpKeys = seeded.keys.filter((k): k is GcpKey => k.provider === 'gcp');
    const bystander = aws[8]!;
    const gcpBystander = gcpKeys[2]!;
    const fleetAws = accounts.flatMap((account) =>
      aws
        .slice(0, 8)
        .filter((k) => k.account === account)
        .map((key, i) => ({ key, method: methodsOf[account][i]! })),
    );
    const roles = [...new Set(fleetAws.map((k) => k.key.roleArn))];
    assert.equal(roles.length, 2, 'two shared roles, one per account');
    assert.ok(
      roles.every((r) => aws.filter((k) => k.roleArn === r).length >= 4),
      'each serves several keys',
    );
    assert.deepEqual(new Set(fleetAws.map((k) => k.key.region)), new Set(['us-east-1', 'eu-west-1']));
    assert.equal(bystander.roleArn, fleetAws[0]!.key.roleArn, 'the key left out shares the first role');

    // The revoke-grant key reaches OpenAI through a grant to the shared role, not through its inline policy.
    const granted = fleetAws.find((k) => k.method === 'revoke-grant')!.key;
    const grantedIn = clients(granted.account, granted.region);
    await grantedIn.kms.send(
      new CreateGrantCommand({
        KeyId: granted.keyArn,
        GranteePrincipal: granted.roleArn,
        Operations: ['Encrypt', 'Decrypt'],
        Name: 'openai-ekm',
      }),
    );
    const roleIn = (key: AwsKey) => clients(key.account, 'us-east-1');
    const others = (await keysTheRoleMayUse(roleIn(granted), granted.roleArn)).filter(
      (a) => a !== granted.keyArn,
    );
    await roleIn(granted).iam.send(
      new PutRolePolicyCommand({
        RoleName: granted.roleArn.split('/').pop()!,
        PolicyName: 'openai-kms',
        PolicyDocument: JSON.stringify(kmsPolicyFor(others)),
      }),
    );

    const probesOf = (key: ScaleKey) =>
      key.projects.flatMap((p) => [
        { projectId: p.id, kind: 'file' as const, id: p.probes.fileId },
        { projectId: p.id, kind: 'response' as const, id: p.probes.responseId },
      ]);
    // Every method here cuts OpenAI off this key alone (the role's policy names its keys one by one), so
    // each run's blast radius is its own key's projects (docs/locks.md).
    const requests: RevokeKeyInput[] = [
      ...fleetAws.map(({ key, method }): RevokeKeyInput => ({
        provider: 'aws',
        product: 'api',
        keyArn: key.keyArn,
        roleArn: key.roleArn,
        method,
        externalKeyId: key.externalKeyId,
        projectIds: key.projects.map((p) => p.id),
        probes: probesOf(key),
        requester,
        reason: 'rehearsal: the CI runner’s credentials leaked',
        changeTicket: 'CHG-18',
      })),
      ...gcpKeys.slice(0, 2).map((key): RevokeKeyInput => ({
        provider: 'gcp',
        product: 'api',
        keyName: key.keyName,
        principal: key.principal,
        method: 'remove-binding',
        externalKeyId: key.externalKeyId,
        projectIds: key.projects.map((p) => p.id),
        probes: probesOf(key),
        requester,
        reason: 'rehearsal: the CI runner’s credentials leaked',
        changeTicket: 'CHG-18',
      })),
    ];
    assert.equal(requests.length, 10);

    const before = new Map<string, string>();
    for (const k of [...fleetAws.map((f) => f.key), bystander])
      before.set(k.keyArn, await keyPolicyOf(clients(k.account, k.region), k.keyArn));
    const roleBefore = new Map<string, string[]>();
    for (const r of roles)
      roleBefore.set(r, await keysTheRoleMayUse(roleIn(fleetAws.find((f) => f.key.roleArn === r)!.key), r));

    const input: RevokeFleetInput = {
      requester,
      reason: 'rehearsal: the CI runner’s credentials leaked',
      changeTicket: 'CHG-18',
      concurrency: 10,
      keys: requests.map(({ requester: _r, ...entry }) => (void _r, entry)),
    };
    const worker = {
      ...sandboxWorkerFor({
        twinUrl: twin.url,
        adminKey: twin.store.data.adminKey,
        projectKeys: Object.fromEntries(seeded.projectApiKeys.map((p) => [p.projectId, p.apiKey])),
        aws: true,
        cloudTrailEndpoint: twin.url,
        gcp: { projectId: gcp.fake.projectId, endpoint: gcp.fake.address },
      }),
      awsAccounts: Object.fromEntries(
        accounts.map((a) => [a, { credentials: { roleToAssume: sandboxWorkerRole(a) } }]),
      ),
    };

    const { status, runs } = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeFleet, {
          taskQueue,
          workflowId: `ekm-fleet:CHG-18:${randomUUID()}`,
          args: [input],
        });
        const gate = await vote(handle, 'revoke', alice);
        assert.deepEqual(
          gate.children?.map((c) => c.workflowId),
          requests.map((r) => keyWorkflowId(keyOf(r))),
          `one fleet approval lists all ten children: ${JSON.stringify((await fleetStatus(handle))?.children.map((c) => [c.index, c.endState, c.reason]))}`,
        );
        // The second remove-key-permission run on each role waits its turn; when it comes, the role's
        // policy is no longer the one approved (the first took its key out), so it re-plans and asks for
        // its own approval, while the others go on.
        const { status, ownGates } = await approveWavesToEnd(handle, client);
        const queued = fleetAws.filter((f) => f.method === 'remove-key-permission');
        assert.ok(
          ownGates.every((id) => queued.some((f) => keyWorkflowId(f.key.keyArn) === id)),
          `only runs that waited their turn on a role re-planned: ${ownGates.join(', ')}`,
        );
        assert.ok(ownGates.length <= roles.length, `at most one per role: ${ownGates.join(', ')}`);
        const runs = await Promise.all(
          status.children.map(async (c) => ({
            workflowId: c.workflowId,
            status: (await client.workflow.getHandle(c.workflowId, c.runId).result()) as RunStatus,
          })),
        );
        return { status, runs };
      },
      worker,
    );
    assert.equal(status.endState, 'completed', status.endReason);
    assert.deepEqual(
      status.children.map((c) => c.endState),
      requests.map(() => 'completed'),
      JSON.stringify(status.children.map((c) => [c.workflowId, c.endState, c.reason])),
    );

    // --- moto, account by account ------------------------------------------------------------------------
    for (const { key, method } of fleetAws) {
      const c = clients(key.account, key.region);
      const policy = await keyPolicyOf(c, key.keyArn);
      const denies = (
        JSON.parse(policy) as { Statement: { Sid?: string; Effect: string }[] }
      ).Statement.filter((s) => s.Sid === keyPolicyDenySid);
      const mayUse = await keysTheRoleMayUse(roleIn(key), key.roleArn);
      const where = `${key.keyArn} (${method})`;
      if (method === 'key-policy-deny') {
        assert.equal(denies.length, 1, `${where}: one deny in its key policy`);
        assert.ok(mayUse.includes(key.keyArn), `${where}: the role still names it: the role was not edited`);
      } else assert.equal(policy, before.get(key.keyArn), `${where}: its key policy untouched`);
      if (method === 'remove-key-permission')
        assert.ok(!mayUse.includes(key.keyArn), `${where}: the role no longer names it`);
      if (method === 'revoke-grant') {
        const { Grants } = await c.kms.send(new ListGrantsCommand({ KeyId: key.keyArn }));
        assert.deepEqual(
          (Grants ?? []).filter((g) => g.GranteePrincipal === key.roleArn),
          [],
          `${where}: its grant to the role is revoked`,
        );
      }
      const { KeyMetadata } = await c.kms.send(new DescribeKeyCommand({ KeyId: key.keyArn }));
      assert.equal(KeyMetadata?.KeyState, method === 'disable-key' ? 'Disabled' : 'Enabled', where);
    }
    // Each role's inline policy: exactly the two remove-key-permission keys of its account taken out, once
    // each — the key-only methods' keys and the key left out of the fleet are still there.
    for (const r of roles) {
      const cut = fleetAws.filter((f) => f.key.roleArn === r && f.method === 'remove-key-permission');
      assert.equal(cut.length, 2);
      const after = await keysTheRoleMayUse(roleIn(cut[0]!.key), r);
      assert.deepEqual(
        after,
        roleBefore.get(r)!.filter((a) => !cut.some((f) => f.key.keyArn === a)),
        `${r}: only the two remove-key-permission keys removed`,
      );
    }
    assert.equal(
      await keyPolicyOf(clients(bystander.account, bystander.region), bystander.keyArn),
      before.get(bystander.keyArn),
      'the key left out of the fleet: its key policy untouched',
    );

    // Each AWS replacement: made in the old key's account and region, exactly one key per run there.
    for (const [i, { key }] of fleetAws.entries()) {
      const run = runs[i]!;
      const newKey = run.status.replacement?.keyArn ?? '';
      const [, , , region, account] = newKey.split(':');
      assert.deepEqual([account, region], [key.account, key.region], `${run.workflowId}: ${newKey}`);
      assert.deepEqual(await keysTaggedFor(clients(key.account, key.region), run.workflowId), [newKey]);
      assert.match(run.status.replacement?.roleArn ?? '', new RegExp(`^arn:aws:iam::${key.account}:role/`));
    }
    // Nothing was made in the worker's own account (moto's default) for these runs.
    const own = clients('123456789012', 'us-east-1');
    for (const run of runs.slice(0, 8)) assert.deepEqual(await keysTaggedFor(own, run.workflowId), []);

    // --- the Cloud KMS fake -----------------------------------------------------------------------------
    for (const key of gcpKeys) {
      const [policy] = await gcp.iam.getIamPolicy({ resource: key.keyName });
      const members = (policy.bindings ?? []).flatMap((b) => b.members ?? []);
      // Removed from the fleet's keys; still there on the key left out.
      assert.equal(members.includes(key.principal), key === gcpBystander, `${key.keyName}: OpenAI's binding`);
    }

    // --- the twin ----------------------------------------------------------------------------------------
    const validate = async (id: string) =>
      (
        await call(
          twin.url,
          'POST',
          `/v1/organization/external_keys/${id}/validate`,
          twin.store.data.adminKey,
        )
      ).status;
    for (const r of requests)
      assert.notEqual(
        await validate(r.externalKeyId!),
        200,
        `${r.externalKeyId}: the old key is refused to OpenAI`,
      );
    assert.equal(
      await validate(bystander.externalKeyId),
      200,
      'the AWS key left out still works through its role',
    );
    assert.equal(await validate(gcpBystander.externalKeyId), 200, 'the Cloud KMS key left out still works');
    const listed = await call(
      twin.url,
      'GET',
      '/v1/organization/external_keys?limit=100',
      twin.store.data.adminKey,
    );
    const registrations = (listed.body as { data: RegisteredExternalKey[] }).data;
    for (const run of runs) {
      const newKey = run.status.replacement?.keyArn ?? run.status.replacement?.keyName;
      const own = registrations.filter((k) =>
        k.type === 'gcp' ? k.id === run.status.replacement?.externalKeyId : k.kms_arn === newKey,
      );
      assert.equal(own.length, 1, `${run.workflowId}: its new key ${newKey} registered once`);
      assert.equal(await validate(own[0]!.id), 200, `${run.workflowId}: OpenAI uses its new key`);
    }
  });
});

async function fleetStatus(handle: WorkflowHandle): Promise<FleetStatus | undefined> {
  try {
    return await handle.query(fleetStatusQuery);
  } catch (err) {
    // Right after a continue-as-new the new run answers once its first task ran.
    if (/QueryNotRegistered|not registered|no such|continued/i.test(String(err))) return undefined;
    throw err;
  }
}

/** Approves every archive wave the fleet opens until it ends. */
/**
 * Approves the fleet's archive waves, and the own revoke gate of each child that re-planned, until the fleet
 * ends; returns its status and the children that asked for their own approval.
 */
async function approveWavesToEnd(
  handle: WorkflowHandle,
  client: Client,
): Promise<{ status: FleetStatus; ownGates: string[] }> {
  const deadline = Date.now() + 420_000;
  const ownGates: string[] = [];
  let last: FleetStatus | undefined;
  while (Date.now() < deadline) {
    last = (await fleetStatus(handle)) ?? last;
    if (last?.endState) return { status: last, ownGates };
    const replanned = last?.children.find(
      (c) => c.stage === 'awaiting-approval' && c.waitingFor === 'revoke' && !ownGates.includes(c.workflowId),
    );
    if (replanned) {
      ownGates.push(replanned.workflowId);
      await vote(client.workflow.getHandle(replanned.workflowId), 'revoke', alice);
    } else if (last?.openGate?.kind === 'archive') await vote(handle, 'archive', bob);
    else await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `the fleet did not end: ${JSON.stringify(last?.children.map((c) => [c.index, c.stage, c.waitingFor, c.endState, c.reason]))}`,
  );
}
