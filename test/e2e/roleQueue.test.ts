// Runs through one role take turns (issue 18, "Locks that fit"): keys used through one customer role, in
// moto with the OpenAI twin, on the dev server. A run whose method changes the role (remove-trust,
// remove-key-permission) waits its turn in the role's queue — its status says where it stands — instead
// of being refused, and gives the role back once its change is validated; a key-only method takes no turn;
// a restore takes back only what its own run removed, so a second run's revocation through the same role
// (the same inline policy) still holds. Checked in moto (the role's documents) and at the twin (validate).
// With remove-trust each run holds its own Deny in the role's trust policy: restoring one of two runs leaves
// the other's Deny, so OpenAI stays refused through the role until the second restore too.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { roleTurnNames, type RoleQueueView } from '../../common/roleTurns';
import { keyWorkflowId, roleQueueWorkflowId } from '../../common/workflowIds';
import {
  decodePolicyText,
  isTrustDenySid,
  keyPolicyDenySid,
  parsePolicy,
  samePolicy,
  statementsOf,
  type PolicyStatement,
} from '../../providers/aws/activities/policyEdits';
import type { AwsRevocationMethod, AwsRevokeKeyInput } from '../../providers/aws/request';
import type { RunStatus } from '../../providers/runStatus';
import { admin, seedDemoProject } from '../../sandbox/openai/demo';
import { restoreAccess } from '../../workflows/restoreAccess';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  attest,
  awsRevokeRequest,
  requester,
  sandboxWorkerFor,
  vote,
  waitForGate,
  waitForStatus,
} from '../fixtures/revoke';
import { recordForReplay } from '../fixtures/replay';
import { rememberSecret } from '../fixtures/secrets';
import { call, startTwinWorld, type TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const [alice, bob] = approvers as [string, string];

/** One key OpenAI uses through the world's one customer role, with its registration and project. */
interface KeyThroughTheRole {
  keyArn: string;
  externalKeyId: string;
  /** Every project on the key's registration, with its API key. */
  projects: Record<string, string>;
  probes: AwsRevokeKeyInput['probes'];
}

interface SharedRoleWorld {
  w: TwinWorld;
  roleArn: string;
  roleName: string;
  /** The seeded key first, then the added ones; all allowed by the role's one inline policy. */
  keys: KeyThroughTheRole[];
}

const policyName = 'openai-kms';
const keyUseSid = (i: number) => `OpenAIUseOfKey${i === 0 ? '' : i + 1}`;

/** The seeded organisation plus `extra` keys used through the same role, all in one inline policy. */
async function keysThroughOneRole(extra: number): Promise<SharedRoleWorld> {
  const w = await startTwinWorld({ cacheTtlSeconds: 2 });
  const { demo } = w;
  const roleName = demo.aws.roleArn.split('/').pop()!;
  const keys: KeyThroughTheRole[] = [
    {
      keyArn: demo.aws.keyArn,
      externalKeyId: demo.openai.externalKeyId,
      projects: Object.fromEntries(demo.openai.projects.map((p) => [p.id, p.apiKey])),
      probes: awsRevokeRequest(demo, 'remove-key-permission').probes,
    },
  ];
  for (let i = 0; i < extra; i++) {
    const { KeyMetadata } = await w.kms.send(
      new CreateKeyCommand({ Description: `ekm test: another key through ${roleName}` }),
    );
    keys.push({ keyArn: KeyMetadata!.Arn!, externalKeyId: '', projects: {}, probes: [] });
  }
  // One document for every key: what a restore writing back a whole snapshot would trample.
  await w.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: policyName,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: keys.map((k, i) => ({
          Sid: keyUseSid(i),
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:Decrypt'],
          Resource: k.keyArn,
        })),
      }),
    }),
  );
  // OpenAI checks its access when a key is registered: the policy first.
  const asAdmin = { url: w.twin.url, adminKey: demo.openai.adminKey };
  for (const k of keys.slice(1)) {
    const external = await admin<{ id: string }>(asAdmin, 'POST', '/v1/organization/external_keys', {
      type: 'aws',
      name: `ekm-shared-role-${randomBytes(4).toString('hex')}`,
      role_arn: demo.aws.roleArn,
      kms_arn: k.keyArn,
      external_id: demo.aws.externalId,
    });
    k.externalKeyId = external.id;
  }
  for (const k of keys.slice(1)) {
    const project = await seedDemoProject(w.twin, k.externalKeyId, `ekm-shared-role-${k.externalKeyId}`);
    rememberSecret(project.apiKey);
    Object.assign(k, {
      projects: { [project.id]: project.apiKey },
      probes: [
        { projectId: project.id, kind: 'file' as const, id: project.probes.fileId },
        { projectId: project.id, kind: 'response' as const, id: project.probes.responseId },
        { projectId: project.id, kind: 'model' as const, id: project.probes.fineTunedModel },
      ],
    });
  }
  return { w, roleArn: demo.aws.roleArn, roleName, keys };
}

function requestFor(world: SharedRoleWorld, i: number, method: AwsRevocationMethod): AwsRevokeKeyInput {
  const k = world.keys[i]!;
  return {
    ...awsRevokeRequest(world.w.demo, method),
    keyArn: k.keyArn,
    externalKeyId: k.externalKeyId,
    projectIds: Object.keys(k.projects),
    probes: k.probes,
  };
}

function workerFor(world: SharedRoleWorld) {
  return sandboxWorkerFor({
    twinUrl: world.w.twin.url,
    adminKey: world.w.demo.openai.adminKey,
    projectKeys: Object.assign({}, ...world.keys.map((k) => k.projects)) as Record<string, string>,
    aws: true,
    cloudTrailEndpoint: world.w.twin.url,
  });
}

/** Which keys the role's inline policy still lets OpenAI use (by the statements' Sids), read in moto. */
async function keysThePolicyAllows(world: SharedRoleWorld): Promise<number[]> {
  try {
    const { PolicyDocument } = await world.w.iam.send(
      new GetRolePolicyCommand({ RoleName: world.roleName, PolicyName: policyName }),
    );
    const doc = JSON.parse(decodePolicyText(PolicyDocument ?? '{}')) as {
      Statement: { Sid?: string; Action?: string | string[] }[];
    };
    return world.keys
      .map((_, i) => i)
      .filter((i) =>
        doc.Statement.some((s) => s.Sid === keyUseSid(i) && ([] as string[]).concat(s.Action ?? []).length),
      );
  } catch (err) {
    if ((err as Error).name === 'NoSuchEntityException') return [];
    throw err;
  }
}

/** The role's trust policy as moto holds it. */
async function trustPolicyText(world: SharedRoleWorld): Promise<string> {
  const { Role } = await world.w.iam.send(new GetRoleCommand({ RoleName: world.roleName }));
  return decodePolicyText(Role!.AssumeRolePolicyDocument!);
}

/** The trust policy's Deny statements naming OpenAI's role, and whether an Allow still names it. */
async function openAiInTrust(
  world: SharedRoleWorld,
): Promise<{ denies: PolicyStatement[]; allowed: boolean }> {
  const statements = statementsOf(parsePolicy(await trustPolicyText(world)));
  const names = (s: PolicyStatement) =>
    JSON.stringify(s.Principal ?? '').includes(':role/EnterpriseKeyManagement');
  return {
    denies: statements.filter((s) => s.Effect === 'Deny' && names(s)),
    allowed: statements.some((s) => s.Effect === 'Allow' && names(s)),
  };
}

/** OpenAI's validate of a key's registration at the twin: 200 usable, 400 refused. */
async function validateStatus(world: SharedRoleWorld, i: number): Promise<number> {
  const answer = await call(
    world.w.twin.url,
    'POST',
    `/v1/organization/external_keys/${world.keys[i]!.externalKeyId}/validate`,
    world.w.demo.openai.adminKey,
  );
  return answer.status;
}

async function queueOf(client: Client, roleArn: string): Promise<RoleQueueView | undefined> {
  const handle = client.workflow.getHandle(roleQueueWorkflowId(roleArn));
  const { status } = await handle.describe().catch(() => ({ status: { name: 'NONE' } }));
  if (status.name !== 'RUNNING') return undefined;
  return handle.query<RoleQueueView>(roleTurnNames.queueQuery);
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const preflightOf = (s: RunStatus) => s.steps.find((step) => step.step === 'preflight')!;
const stepOf = (s: RunStatus, step: string) => s.steps.find((x) => x.step === step)!;

async function ended(handle: WorkflowHandle): Promise<RunStatus> {
  return (await handle.result()) as RunStatus;
}

/** Approves the revoke and rejects the archive (nothing archived): the run ends revoked-verified. */
async function revokedWithoutArchive(handle: WorkflowHandle): Promise<RunStatus> {
  await vote(handle, 'revoke', alice);
  await vote(handle, 'archive', bob, 'reject');
  const end = await ended(handle);
  assert.equal(end.endState, 'revoked-verified', end.endReason);
  return end;
}

describe('runs through one role take turns (moto, the twin)', function () {
  this.timeout(300_000);
  let world: SharedRoleWorld | undefined;
  afterEach(async () => {
    await world?.w.close();
    world = undefined;
  });

  /** Starts revocations and ends, whatever happens, every run and the role's queue. */
  async function withRuns(
    body: (ctx: {
      client: Client;
      taskQueue: string;
      start: (i: number, method: AwsRevocationMethod) => Promise<WorkflowHandle>;
    }) => Promise<void>,
  ): Promise<void> {
    const w = world!;
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const started: WorkflowHandle[] = [];
        try {
          await body({
            client,
            taskQueue,
            start: async (i, method) => {
              const handle = await client.workflow.start(revokeKey, {
                taskQueue,
                workflowId: keyWorkflowId(w.keys[i]!.keyArn),
                args: [requestFor(w, i, method)],
              });
              started.push(handle);
              return handle;
            },
          });
        } finally {
          for (const h of started) await h.terminate('test over').catch(() => undefined);
          await client.workflow
            .getHandle(roleQueueWorkflowId(w.roleArn))
            .terminate('test over')
            .catch(() => undefined);
        }
      },
      workerFor(w),
    );
  }

  it('B waits its turn behind A (both remove-key-permission): second in line, nothing changed until A validated; each change made once', async function () {
    world = await keysThroughOneRole(1);
    const w = world;
    await withRuns(async ({ client, start }) => {
      const a = await start(0, 'remove-key-permission');
      await waitForGate(a, 'revoke');
      const b = await start(1, 'remove-key-permission');
      const waiting = await waitForStatus(
        b,
        (s) => preflightOf(s).state === 'waiting',
        'B waiting for the role',
      );
      assert.equal(
        preflightOf(waiting).summary,
        `waiting for role ${w.roleArn}: 2nd in line behind ${a.workflowId}`,
      );
      const queue = await queueOf(client, w.roleArn);
      assert.equal(queue?.holder?.workflowId, a.workflowId, 'A holds the role');
      assert.deepEqual(
        queue?.line.map((t) => t.workflowId),
        [b.workflowId],
        'B waits, first of the line',
      );
      assert.deepEqual(await keysThePolicyAllows(w), [0, 1], 'nothing changed yet');

      await vote(a, 'revoke', alice);
      // A's turn ends once its change is validated: B's preflight then goes on, and B reaches its gate.
      await waitForGate(b, 'revoke');
      const aNow = (await a.query('status')) as RunStatus;
      assert.equal(stepOf(aNow, 'validate').state, 'done', 'B went on only after A validated');
      assert.deepEqual(await keysThePolicyAllows(w), [1], 'A removed key 1’s use; B has changed nothing yet');
      await vote(b, 'revoke', alice);

      await vote(a, 'archive', bob, 'reject');
      await vote(b, 'archive', bob, 'reject');
      const [endA, endB] = [await ended(a), await ended(b)];
      assert.equal(endA.endState, 'revoked-verified', endA.endReason);
      assert.equal(endB.endState, 'revoked-verified', endB.endReason);
      for (const end of [endA, endB])
        assert.equal((stepOf(end, 'revoke').data as { changed?: boolean }).changed, true, 'changed once');
      assert.deepEqual(await keysThePolicyAllows(w), [], 'both keys’ use removed');
      assert.equal(await validateStatus(w, 0), 400);
      assert.equal(await validateStatus(w, 1), 400);
      await until('the queue to end once nobody holds or waits', async () =>
        (await queueOf(client, w.roleArn)) ? undefined : true,
      );
      await recordForReplay(a, 'revokeKey-role-turn-until-validated');
      await recordForReplay(b, 'revokeKey-role-turn-waited');
      await recordForReplay(client.workflow.getHandle(roleQueueWorkflowId(w.roleArn)), 'roleQueue-two-turns');
    });
  });

  it('restoring A (remove-key-permission, key 1) gives key 1 back and leaves B’s revocation of key 2 through the same policy in place', async function () {
    world = await keysThroughOneRole(1);
    const w = world;
    await withRuns(async ({ client, taskQueue, start }) => {
      // A first, to its end; then B: the order today's lock allowed too.
      const endA = await revokedWithoutArchive(await start(0, 'remove-key-permission'));
      await revokedWithoutArchive(await start(1, 'remove-key-permission'));
      assert.deepEqual(await keysThePolicyAllows(w), []);

      const restore = await client.workflow.start(restoreAccess, {
        taskQueue,
        workflowId: keyWorkflowId(w.keys[0]!.keyArn),
        args: [
          {
            revokeWorkflowId: endA.workflowId,
            revokeRunId: endA.runId,
            requester,
            reason: 'key 1 was not compromised after all',
            changeTicket: 'CHG-1818',
          },
        ],
      });
      await vote(restore, 'restore', alice);
      const restored = (await restore.result()) as RunStatus;
      assert.equal(restored.endState, 'restored', restored.endReason);
      assert.deepEqual(await keysThePolicyAllows(w), [0], 'key 1’s use is back, key 2’s is not');
      assert.equal(await validateStatus(w, 0), 200, 'OpenAI uses key 1 again');
      assert.equal(await validateStatus(w, 1), 400, 'B’s revocation of key 2 still holds');
      await recordForReplay(restore, 'restoreAccess-role-turn-restored-as-a-diff');
    });
  });

  // An API run through a role that already refuses OpenAI is refused at preflight (validate must answer
  // success first), so the second remove-trust run on a role is one that validates nothing: a ChatGPT
  // Enterprise workspace key served by the same role (a person attests instead).
  it('remove-trust: A (API key) and B (a workspace key through the same role) each add their own Deny to the role’s trust; restoring A leaves B’s Deny (OpenAI still refused through the role), restoring B too gives the trust back as before both', async function () {
    world = await keysThroughOneRole(0);
    const w = world;
    const { KeyMetadata } = await w.w.kms.send(
      new CreateKeyCommand({ Description: `ekm test: a workspace key through ${w.roleName}` }),
    );
    const workspaceKeyArn = KeyMetadata!.Arn!;
    const trustBefore = await trustPolicyText(w);
    assert.deepEqual(await openAiInTrust(w), { denies: [], allowed: true });
    await withRuns(async ({ client, taskQueue, start }) => {
      const endA = await revokedWithoutArchive(await start(0, 'remove-trust'));
      assert.equal(await validateStatus(w, 0), 400);

      const b = await client.workflow.start(revokeKey, {
        taskQueue,
        workflowId: keyWorkflowId(workspaceKeyArn),
        args: [
          {
            provider: 'aws' as const,
            product: 'chatgpt-enterprise' as const,
            keyArn: workspaceKeyArn,
            roleArn: w.roleArn,
            method: 'remove-trust',
            workspaceId: 'ws-shared-role-1',
            // The role's other registrations stop too: the plan names their projects.
            projectIds: Object.keys(w.keys[0]!.projects),
            requester,
            reason: 'rehearsal: the workspace key is suspected compromised',
            changeTicket: 'CHG-1819',
          },
        ],
      });
      const endB = await (async () => {
        try {
          await vote(b, 'revoke', alice);
          await attest(b, 'chatgpt-verify', bob, 'inaccessible');
          await vote(b, 'archive', bob, 'reject');
          return await ended(b);
        } catch (err) {
          await b.terminate('test over').catch(() => undefined);
          throw err;
        }
      })();
      assert.equal(endB.endState, 'revoked-verified', endB.endReason);
      // B found OpenAI's trust gone already, yet holds a Deny of its own: two Denys, neither trusting.
      assert.equal((stepOf(endB, 'revoke').data as { changed?: boolean }).changed, true, 'B added its Deny');
      const revoked = await openAiInTrust(w);
      assert.equal(revoked.allowed, false);
      assert.equal(revoked.denies.length, 2, 'one Deny per run');
      assert.ok(revoked.denies.every((s) => isTrustDenySid(s.Sid)));
      const [denyA, denyB] = revoked.denies.map((s) => s.Sid!);
      assert.notEqual(denyA, denyB);

      const restore = async (end: RunStatus, keyArn: string) => {
        const h = await client.workflow.start(restoreAccess, {
          taskQueue,
          workflowId: keyWorkflowId(keyArn),
          args: [
            {
              revokeWorkflowId: end.workflowId,
              revokeRunId: end.runId,
              requester,
              reason: 'not compromised after all',
              changeTicket: 'CHG-1819',
            },
          ],
        });
        await vote(h, 'restore', alice);
        return (await h.result()) as RunStatus;
      };
      // A is restored: OpenAI's trust is back, A's Deny is out, B's stays — and an explicit Deny wins.
      const restoredA = await restore(endA, w.keys[0]!.keyArn);
      const diff = restoredA.plan?.diff?.map((d) => d.document).join('\n') ?? '';
      assert.match(diff, new RegExp(`OpenAI stays refused.*"${denyB}"`), 'the approvers were told');
      assert.match(stepOf(restoredA, 'restore').summary ?? '', new RegExp(`"${denyB}"`));
      assert.equal(restoredA.endState, 'restored-unverified', 'key 1 stays refused while B’s Deny stands');
      const afterA = await openAiInTrust(w);
      assert.deepEqual(
        afterA.denies.map((s) => s.Sid),
        [denyB],
        'B’s Deny still stands in moto',
      );
      assert.equal(afterA.allowed, true, 'OpenAI’s trust statement is back');
      assert.equal(await validateStatus(w, 0), 400, 'OpenAI is still refused through the role');

      // B is restored too: the trust policy is as it was before both runs, and OpenAI uses key 1 again.
      const restoredB = await restore(endB, workspaceKeyArn);
      assert.equal(restoredB.endState, 'restored', restoredB.endReason);
      assert.ok(samePolicy(await trustPolicyText(w), trustBefore), await trustPolicyText(w));
      assert.deepEqual(await openAiInTrust(w), { denies: [], allowed: true });
      assert.equal(await validateStatus(w, 0), 200);
    });
  });

  it('a key-only method (key-policy-deny) takes no turn: it reaches its change while a remove-key-permission run holds the role; a holder that ends frees the role', async function () {
    world = await keysThroughOneRole(2);
    const w = world;
    await withRuns(async ({ client, start }) => {
      const a = await start(0, 'remove-key-permission');
      await waitForGate(a, 'revoke');
      const b = await start(1, 'key-policy-deny');
      await waitForGate(b, 'revoke');
      assert.notEqual(preflightOf((await b.query('status')) as RunStatus).state, 'waiting');
      const queue = await queueOf(client, w.roleArn);
      assert.equal(queue?.holder?.workflowId, a.workflowId);
      assert.deepEqual(queue?.line, [], 'the key-only run never asked');
      await vote(b, 'revoke', alice);
      await waitForStatus(b, (s) => stepOf(s, 'revoke').state === 'done', 'B’s revoke');
      const { Policy } = await w.w.kms.send(
        new GetKeyPolicyCommand({ KeyId: w.keys[1]!.keyArn, PolicyName: 'default' }),
      );
      assert.match(Policy ?? '', new RegExp(keyPolicyDenySid), 'B denied its key while A held the role');

      // C waits behind A; A is terminated (no release): the queue finds its holder ended and serves C.
      const c = await start(2, 'remove-key-permission');
      await waitForStatus(c, (s) => preflightOf(s).state === 'waiting', 'C waiting');
      await a.terminate('the operator stops A');
      await waitForGate(c, 'revoke');
      const after = await queueOf(client, w.roleArn);
      assert.equal(after?.holder?.workflowId, c.workflowId, 'C holds the role');
      assert.match(after?.refused.map((r) => r.why).join('\n') ?? '', /freed: .* has ended \(TERMINATED\)/);
    });
  });

  it('a cancelled waiter leaves the line: the one behind moves up to 2nd', async function () {
    world = await keysThroughOneRole(2);
    const w = world;
    await withRuns(async ({ client, start }) => {
      const a = await start(0, 'remove-key-permission');
      await waitForGate(a, 'revoke');
      const b = await start(1, 'remove-key-permission');
      await waitForStatus(b, (s) => preflightOf(s).state === 'waiting', 'B waiting');
      const c = await start(2, 'remove-key-permission');
      const third = await waitForStatus(
        c,
        (s) => /3rd in line/.test(preflightOf(s).summary ?? ''),
        'C 3rd in line',
      );
      assert.equal(
        preflightOf(third).summary,
        `waiting for role ${w.roleArn}: 3rd in line behind ${a.workflowId}`,
      );
      await b.cancel();
      await assert.rejects(b.result(), /cancelled/i);
      const endB = (await b.query('status')) as RunStatus;
      assert.equal(endB.endState, 'cancelled', endB.endReason);
      await waitForStatus(c, (s) => /2nd in line/.test(preflightOf(s).summary ?? ''), 'C 2nd in line');
      const queue = await queueOf(client, w.roleArn);
      assert.deepEqual(
        queue?.line.map((t) => t.workflowId),
        [c.workflowId],
      );
      assert.deepEqual(await keysThePolicyAllows(w), [0, 1, 2], 'nothing changed');
    });
  });
});
