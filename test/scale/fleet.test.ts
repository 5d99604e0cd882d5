// Issue 18, item 1: many keys at once. A fleet of keys on both clouds — each AWS key through its own role —
// planned by the children's own plan-only runs, one signed fleet approval of the revoke gate listing every
// (child, plan), the children run with bounded concurrency, the archive approved wave by wave; checked in
// the world (moto, the Cloud KMS fake, the twin): every old key revoked, every replacement registered once.
// A child whose state drifted waits for its own approval while the others complete; a child that fails
// ends so and blocks nobody. A fleet approval handed to a change outside its list is refused by the
// change's own check, nothing changed. And through the `ekm` binary: plan, start, status; a bad file
// starts nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DisableKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { GateView } from '../../common/approvals';
import type { ApprovalProof } from '../../common/approvalProof';
import { fleetCovers, fleetGateHashOf, type FleetChildPlan } from '../../common/fleetApproval';
import type { FleetStatus } from '../../common/fleetStatus';
import { voteStatement } from '../../common/signedStatement';
import { keyWorkflowId } from '../../common/workflowIds';
import { keyPolicyDenySid } from '../../providers/aws/activities/policyEdits';
import type { RevokeKeyInput } from '../../providers/requests';
import { keyOf } from '../../providers/runSubject';
import { fleetStatusQuery } from '../../workflows/fleet/messages';
import type { RevokeFleetInput } from '../../workflows/fleet/request';
import { revokeFleet } from '../../workflows/revokeFleet';
import { signatureBy } from '../fixtures/approverKeys';
import { asRequester, ok, runCli, signingKeyFile, until } from '../fixtures/cli';
import { publicKeyFrom, sandboxKeyName } from '../../activities/evidence/signer';
import { folderFor } from '../../activities/evidence/store';
import { devEnvironment } from '../fixtures/environments';
import { assertOneReplacementPerRun, type EndedRun, type RunStatus } from '../fixtures/replacements';
import {
  approvers,
  awsRevokeRequest,
  awsScenario,
  gcpRevokeRequest,
  requester,
  sandboxWorker,
  startSharedRevocationWorld,
  vote,
  type SharedRevocationWorld,
} from '../fixtures/revoke';
import { recordForReplay } from '../fixtures/replay';
import { call, type TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';
import { approvalReplay } from '../workflows/approvalReplay';

const [alice, bob] = approvers as [string, string];
const ttlSeconds = 2;

/** A key's entry as the fleet file holds it: the single run's request, the fleet's requester left out. */
function entryOf(request: RevokeKeyInput): Record<string, unknown> {
  const { requester: _requester, ...entry } = request;
  void _requester;
  return entry;
}

function fleetInput(keys: RevokeKeyInput[], more: Partial<RevokeFleetInput> = {}): RevokeFleetInput {
  return {
    requester,
    reason: 'rehearsal: the keys are suspected compromised',
    changeTicket: 'CHG-18',
    keys: keys.map(entryOf),
    ...more,
  };
}

async function fleetStatus(handle: WorkflowHandle): Promise<FleetStatus> {
  return handle.query(fleetStatusQuery);
}

/** A child's history, kept with its workflow id: a fleet child's decisions depend on it (fixtures/replay.ts). */
const recordChild = (handle: WorkflowHandle, name: string) =>
  recordForReplay(handle, name, undefined, { keepWorkflowId: true });

/** Polls the fleet's status (across its continue-as-new runs) until `ready` holds. */
async function waitForFleet(
  handle: WorkflowHandle,
  ready: (s: FleetStatus) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<FleetStatus> {
  let last: FleetStatus | undefined;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      last = await fleetStatus(handle);
      if (ready(last)) return last;
      if (last.endState) break;
    } catch (err) {
      // Right after a continue-as-new the new run answers once its first task ran.
      if (!/QueryNotRegistered|not registered|no such|continued/i.test(String(err))) throw err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    `waited for ${what}; the fleet is at ${last?.stage}${last?.endState ? `, ended ${last.endState}: ${last.endReason}` : ''}: ${JSON.stringify(last?.children.map((c) => [c.index, c.stage, c.waitingFor, c.endState, c.reason]))}`,
  );
}

/** The children the fleet's next archive wave lists. */
async function nextWave(handle: WorkflowHandle): Promise<string[]> {
  const s = await waitForFleet(handle, (f) => f.openGate?.kind === 'archive', 'an archive wave');
  return s.openGate!.children!.map((c) => c.workflowId);
}

/** Approves every archive wave the fleet opens until it ends; returns the waves' gates. */
async function approveWavesToEnd(handle: WorkflowHandle): Promise<FleetStatus> {
  for (;;) {
    const s = await waitForFleet(
      handle,
      (f) => f.endState !== undefined || f.openGate?.kind === 'archive',
      'an archive wave or the fleet’s end',
      180_000,
    );
    if (s.endState) return s;
    await vote(handle, 'archive', bob);
  }
}

/** Each child's run as it ended, read from the child itself. */
async function childRuns(client: Client, status: FleetStatus, keys: RevokeKeyInput[]): Promise<EndedRun[]> {
  return Promise.all(
    status.children
      .filter((c) => c.endState === 'completed')
      .map(async (c) => {
        const handle = client.workflow.getHandle(c.workflowId, c.runId);
        return {
          request: keys[c.index]!,
          workflowId: c.workflowId,
          runId: c.runId!,
          status: (await handle.result()) as RunStatus,
        };
      }),
  );
}

/** Old key revoked where it lives: AWS, the key policy denies OpenAI's role; Cloud KMS, OpenAI's binding gone. */
async function assertRevokedInTheWorld(w: SharedRevocationWorld, request: RevokeKeyInput): Promise<void> {
  if (request.provider === 'aws') {
    const { Policy } = await w.kms.send(
      new GetKeyPolicyCommand({ KeyId: request.keyArn, PolicyName: 'default' }),
    );
    const denies = (
      JSON.parse(Policy!) as { Statement: { Sid?: string; Effect: string }[] }
    ).Statement.filter((s) => s.Sid === keyPolicyDenySid && s.Effect === 'Deny');
    assert.equal(
      denies.length,
      1,
      `${request.keyArn}: one deny for OpenAI's role in its key policy, not ${denies.length}`,
    );
  } else {
    const [policy] = await w.gcp.iam.getIamPolicy({ resource: request.keyName });
    const members = (policy.bindings ?? []).flatMap((b) => b.members ?? []);
    assert.ok(
      !members.includes(request.principal),
      `${request.keyName}: OpenAI's binding is gone (${members.join(', ')})`,
    );
  }
}

async function keyPolicyOf(w: { kms: SharedRevocationWorld['kms'] }, keyArn: string): Promise<string> {
  return (await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy!;
}

describe('fleet revocation: many keys at once', function () {
  this.timeout(420_000);
  let world: SharedRevocationWorld | undefined;
  let single: TwinWorld | undefined;
  let keyDir: string | undefined;
  afterEach(async () => {
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    keyDir = undefined;
    await world?.close();
    world = undefined;
    await single?.close();
    single = undefined;
  });

  it('two AWS keys and a Cloud KMS key: one fleet approval, the archive wave by wave, continued as new; every change once in moto, the fake and the twin', async function () {
    const w = (world = await startSharedRevocationWorld({ aws: 2, gcp: 1, cacheTtlSeconds: ttlSeconds }));
    const keys: RevokeKeyInput[] = [
      awsRevokeRequest(w.aws[0]!, 'key-policy-deny'),
      gcpRevokeRequest(w.gcpKeys[0]!, 'remove-binding'),
      awsRevokeRequest(w.aws[1]!, 'key-policy-deny'),
    ];
    const { status, runs } = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeFleet, {
          taskQueue,
          workflowId: `ekm-fleet:CHG-18:${randomUUID()}`,
          args: [fleetInput(keys, { concurrency: 2, continueAsNewAfterEvents: 60 })],
        });
        const gate = (await vote(handle, 'revoke', alice)) as GateView;
        assert.deepEqual(
          gate.children?.map((c) => c.workflowId),
          keys.map((k) => keyWorkflowId(keyOf(k))),
          'the fleet gate lists every child',
        );
        const status = await approveWavesToEnd(handle);
        // The fleet's first run (it continued as new), and a child acting on the fleet's approvals.
        await recordForReplay(handle, 'revokeFleet-continued-as-new', handle.firstExecutionRunId);
        await recordChild(
          client.workflow.getHandle(status.children[1]!.workflowId),
          'revokeKey-fleet-child-gcp',
        );
        return { status, runs: await childRuns(client, status, keys) };
      },
      w.worker(),
    );
    assert.equal(status.endState, 'completed', status.endReason);
    assert.deepEqual(
      status.children.map((c) => c.endState),
      ['completed', 'completed', 'completed'],
    );
    assert.ok(status.continuedAsNew >= 1, 'the fleet continued as new, carrying its state');
    // Every child's plan is the one the fleet's gate listed (no drift here), and the fleet's plan covers them.
    for (const c of status.children) assert.equal(c.endPlanHash, c.planHash);
    assert.deepEqual(
      status.plan?.children.map((c) => c.planHash),
      status.children.map((c) => c.planHash),
    );
    const waves = status.gates.filter((g) => g.kind === 'archive');
    assert.deepEqual(
      waves.flatMap((g) => g.children!.map((c) => c.workflowId)).sort(),
      status.children.map((c) => c.workflowId).sort(),
      'each child in exactly one archive wave',
    );
    // Each child acted on the fleet's approval, not a gate of its own.
    for (const run of runs) {
      const revoke = run.status.gates.find((g) => g.kind === 'revoke')!;
      assert.equal(
        revoke.fleet?.fleet.workflowId,
        status.workflowId,
        `${run.workflowId}: revoke approved by the fleet`,
      );
    }
    for (const k of keys) await assertRevokedInTheWorld(w, k);
    await assertOneReplacementPerRun(w, runs);
  });

  it('a drifted child waits for its own approval while the others complete; a failing child ends so; the archive is approved per wave', async function () {
    const w = (world = await startSharedRevocationWorld({ aws: 3, gcp: 0, cacheTtlSeconds: ttlSeconds }));
    const keys = w.aws.map((demo) => awsRevokeRequest(demo, 'key-policy-deny'));
    const [steady, drifted, failing] = keys.map((k) => keyWorkflowId(keyOf(k))) as [string, string, string];
    const failingPolicy = await keyPolicyOf(w, w.aws[2]!.aws.keyArn);
    const { status, runs } = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeFleet, {
          taskQueue,
          workflowId: `ekm-fleet:CHG-18:${randomUUID()}`,
          args: [fleetInput(keys, { concurrency: 3 })],
        });
        await waitForFleet(handle, (f) => f.openGate?.kind === 'revoke', 'the fleet’s revoke gate');
        // Between the fleet's plan and its run: one key's role gains a policy (its plan drifts), another
        // key is disabled (its run is refused at preflight).
        await w.iam.send(
          new PutRolePolicyCommand({
            RoleName: w.aws[1]!.aws.roleArn.split('/').pop()!,
            PolicyName: 'drift-unrelated',
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::drift/*' }],
            }),
          }),
        );
        // moto answers 500 to DisableKey given an ARN; the bare id works (reference/cloud-kms.md).
        await w.kms.send(new DisableKeyCommand({ KeyId: w.aws[2]!.aws.keyArn.split('/').pop()! }));
        await vote(handle, 'revoke', alice);

        // The first wave lists the steady child alone: the drifted one waits at its own gate.
        assert.deepEqual(await nextWave(handle), [steady]);
        await vote(handle, 'archive', bob);
        const steadyDone = await waitForFleet(
          handle,
          (f) => f.children[0]!.stage === 'ended' && f.children[2]!.stage === 'ended',
          'the steady child’s end and the failing child’s',
        );
        assert.equal(steadyDone.children[0]!.endState, 'completed');
        assert.equal(steadyDone.children[2]!.endState, 'refused', steadyDone.children[2]!.reason);
        assert.match(steadyDone.children[2]!.reason ?? '', /Disabled/);
        assert.equal(steadyDone.children[1]!.stage, 'awaiting-approval', 'the drifted child still waits');
        assert.equal(steadyDone.children[1]!.waitingFor, 'revoke');

        // Its own gate, for its new plan, answered on the child; then the next wave lists it alone.
        const child = client.workflow.getHandle(drifted);
        const own = await vote(child, 'revoke', alice);
        assert.ok(own.gateId.startsWith('revoke-'), `the child's own gate (${own.gateId})`);
        assert.notEqual(own.plans?.[0], steadyDone.children[1]!.planHash, 'the drifted child re-planned');
        assert.deepEqual(await nextWave(handle), [drifted]);
        const status = await approveWavesToEnd(handle);
        await recordForReplay(handle, 'revokeFleet-partial-drift-waves');
        await recordChild(client.workflow.getHandle(steady), 'revokeKey-fleet-child-completed');
        await recordChild(child, 'revokeKey-fleet-child-drifted-own-gate');
        await recordChild(client.workflow.getHandle(failing), 'revokeKey-fleet-child-refused');
        return { status, runs: await childRuns(client, status, keys) };
      },
      w.worker(),
    );
    assert.equal(status.endState, 'partial', status.endReason);
    assert.deepEqual(
      status.children.map((c) => [c.workflowId, c.endState]),
      [
        [steady, 'completed'],
        [drifted, 'completed'],
        [failing, 'refused'],
      ],
    );
    assert.notEqual(
      status.children[1]!.endPlanHash,
      status.children[1]!.planHash,
      'it ended on its new plan',
    );
    assert.deepEqual(
      status.gates.filter((g) => g.kind === 'archive').map((g) => g.children!.map((c) => c.workflowId)),
      [[steady], [drifted]],
    );
    await assertRevokedInTheWorld(w, keys[0]!);
    await assertRevokedInTheWorld(w, keys[1]!);
    assert.equal(
      await keyPolicyOf(w, w.aws[2]!.aws.keyArn),
      failingPolicy,
      'the failing child changed nothing',
    );
    await assertOneReplacementPerRun(w, runs);
  });

  it('a fleet approval handed to a change outside its list, or for another plan, is refused by the change’s own check: nothing changed', async function () {
    const w = (single = await awsScenario.world('key-policy-deny', 2));
    const { keyArn, roleArn } = w.demo.aws;
    const project = w.demo.openai.projects[0]!.id;
    const ext = w.demo.openai.externalKeyId;
    const revokeAction = { do: 'revoke-access', cloud: 'aws', method: 'key-policy-deny', keyArn, roleArn };
    const archiveAction = { do: 'archive-project', projectId: project, externalKeyId: ext };
    const harnessId = `approval-replay-${randomUUID()}`;
    const fleet = { workflowId: `ekm-fleet:CHG-18:${randomUUID()}`, runId: randomUUID() };
    const plan = 'c'.repeat(64);

    /** A fleet approval of `kind` over `children`, signed by alice as `ekm approve <fleet>` signs it. */
    const approvalOf = (kind: string, children: FleetChildPlan[]) => {
      const covers = fleetCovers(fleet, children);
      const planHash = fleetGateHashOf(covers[0]!, kind, false);
      const gateId = `fleet-${kind}-1`;
      const unsigned = { gateId, planHash, decision: 'approve' as const, approver: alice };
      const signature = signatureBy(alice, (expiresAt) => voteStatement(fleet, unsigned, expiresAt));
      const gate: GateView = {
        gateId,
        kind,
        planHash,
        policy: { approvers, quorum: 1, deadlineSeconds: 3600 },
        breakGlass: false,
        openedAt: new Date().toISOString(),
        deadline: new Date(Date.now() + 3_600_000).toISOString(),
        votes: [{ ...unsigned, signature, at: new Date().toISOString(), via: 'update' }],
        decision: 'approved',
      };
      return (i: number, edit: (g: GateView) => GateView = (g) => g): ApprovalProof => ({
        gate: edit({ ...gate, fleet: covers[i]! }),
        requester,
      });
    };
    const listing = (workflowId: string, actions: object[]) =>
      ({ workflowId, planHash: plan, actions }) as FleetChildPlan;
    // The list names two other children; the harness's run is not among them.
    const others = approvalOf('revoke', [
      listing(keyWorkflowId(keyArn), [revokeAction]),
      listing('ekm-key:another', [revokeAction]),
    ]);
    const othersArchive = approvalOf('archive', [listing(keyWorkflowId(keyArn), [archiveAction])]);
    // The list names the harness's run, for plan `plan`; the run says it acts on another plan.
    const ours = approvalOf('revoke', [listing(harnessId, [revokeAction])]);

    const policyBefore = await keyPolicyOf(w, keyArn);
    const outcomes = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const replay = (
          proof: ApprovalProof,
          calls: { name: 'revokeAwsAccess' | 'archiveProject'; args: object }[],
        ) =>
          client.workflow.execute(approvalReplay, {
            taskQueue,
            workflowId: `${harnessId}`,
            args: [
              {
                subject: {
                  provider: 'aws',
                  keyArn,
                  roleArn,
                  projectIds: [project],
                  requester,
                  reason: 'attack rehearsal',
                  changeTicket: 'CHG-18',
                  method: 'key-policy-deny',
                },
                kind: proof.gate.kind as 'revoke',
                planHash: plan,
                plan: { actions: [] },
                given: proof,
                calls: calls.map((c) => ({ name: c.name, args: c.args as Record<string, unknown> })),
              },
            ],
          });
        const revokeCall = {
          name: 'revokeAwsAccess' as const,
          args: { method: 'key-policy-deny', keyArn, roleArn },
        };
        return {
          outside: await replay(others(0), [revokeCall]),
          outsideArchive: await replay(othersArchive(0), [
            { name: 'archiveProject', args: { projectId: project, externalKeyId: ext } },
          ]),
          // The entry of another child, its workflow id rewritten to the harness's after the vote.
          rewritten: await replay(
            others(0, (g) => ({
              ...g,
              fleet: { ...g.fleet!, entry: { ...g.fleet!.entry, workflowId: harnessId } },
            })),
            [revokeCall],
          ),
          otherPlan: await replay(
            ours(0, (g) => ({ ...g, fleet: { ...g.fleet!, actsOn: 'd'.repeat(64) } })),
            [revokeCall],
          ),
          // The control: the harness's own entry for the plan it acts on is accepted.
          own: await replay(ours(0), [revokeCall]),
        };
      },
      sandboxWorker(w),
    );
    assert.match(
      outcomes.outside[0]!,
      new RegExp(
        `lists ${keyWorkflowId(keyArn).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not this run ${harnessId}`,
      ),
    );
    assert.match(outcomes.outsideArchive[0]!, /a fleet approval covers only the children it lists/);
    assert.match(outcomes.rewritten[0]!, /is not in the list the approval signs/);
    assert.match(
      outcomes.otherPlan[0]!,
      /approves plan cccccccccccc… for .*, but the run acts on plan dddddddddddd…/,
    );
    assert.deepEqual(outcomes.own, ['done'], 'the listed child acting on its listed plan is let through');
    // Before the control, the refusals had changed nothing: the project is still active, and only the
    // control's deny is in the key policy now.
    const projectNow = (
      await call(w.twin.url, 'GET', `/v1/organization/projects/${project}`, w.demo.openai.adminKey)
    ).body as { status: string };
    assert.equal(projectNow.status, 'active');
    const statements = (JSON.parse(await keyPolicyOf(w, keyArn)) as { Statement: { Sid?: string }[] })
      .Statement;
    assert.equal(statements.filter((s) => s.Sid === keyPolicyDenySid).length, 1);
    assert.equal(
      statements.length,
      (JSON.parse(policyBefore) as { Statement: unknown[] }).Statement.length + 1,
      'the key policy changed once, by the control',
    );
  });

  it('`ekm fleet plan|start|status --json` through the binary; a bad fleet file is refused naming the entry and field, nothing started', async function () {
    const w = (world = await startSharedRevocationWorld({ aws: 1, gcp: 1, cacheTtlSeconds: ttlSeconds }));
    const keys: RevokeKeyInput[] = [
      awsRevokeRequest(w.aws[0]!, 'key-policy-deny'),
      gcpRevokeRequest(w.gcpKeys[0]!, 'remove-binding'),
    ];
    const dir = (keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-fleet-')));
    const { worker, cli } = await asRequester(w.worker());
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const file = path.join(dir, 'fleet.yaml');
        const input = fleetInput(keys, { concurrency: 2 });
        const { planOnly: _planOnly, ...document } = input;
        void _planOnly;
        fs.writeFileSync(
          file,
          ['# two keys, both clouds', ...JSON.stringify(document, null, 2).split('\n')].join('\n'),
        );

        // A bad file: the entry and the field named, nothing started.
        const bad = path.join(dir, 'bad.yaml');
        const badKeys = document.keys.map((k, i) => (i === 1 ? { ...k, principal: 'not-a-principal' } : k));
        fs.writeFileSync(
          bad,
          JSON.stringify({ ...document, keys: [...badKeys, { provider: 'aws', keyArn: 'arn:nope' }] }),
        );
        const fleetsBefore = await countFleets(client);
        const refused = await cli(['fleet', 'start', '--file', bad, '--task-queue', taskQueue, '--json']);
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, /keys\[1\]\.principal: /);
        assert.match(refused.stderr, /keys\[2\]\.roleArn: /);
        assert.match(refused.stderr, /nothing was started/);
        assert.equal(await countFleets(client), fleetsBefore, 'no fleet started from a bad file');

        const planned = JSON.parse(
          ok(
            await cli(['fleet', 'plan', '--file', file, '--task-queue', taskQueue, '--json']),
            'ekm fleet plan',
          ).stdout,
        ) as FleetStatus;
        assert.equal(planned.endState, 'planned');
        assert.match(planned.plan?.hash ?? '', /^[0-9a-f]{64}$/);
        assert.equal(planned.children.filter((c) => c.planHash).length, 2);

        const started = JSON.parse(
          ok(
            await cli([
              'fleet',
              'start',
              '--file',
              file,
              '--task-queue',
              taskQueue,
              '--signing-key',
              signingKeyFile(dir, requester),
              '--json',
            ]),
            'ekm fleet start',
          ).stdout,
        ) as { workflowId: string };
        const status = async () =>
          JSON.parse(
            ok(await cli(['fleet', 'status', started.workflowId, '--json']), 'ekm fleet status').stdout,
          ) as FleetStatus;
        const approve = async (kind: string, who: string) => {
          const gate = await until(`the fleet's ${kind} gate`, async () => {
            const s = await status();
            if (s.endState) throw new Error(`the fleet ended ${s.endState}: ${s.endReason}`);
            return s.openGate?.kind === kind ? s.openGate : undefined;
          });
          const flags = [
            '--as',
            who,
            '--plan',
            gate.planHash.slice(0, 12),
            '--signing-key',
            signingKeyFile(dir, who),
          ];
          ok(await cli(['approve', started.workflowId, ...flags]), `ekm approve (${kind})`);
          return gate;
        };
        // A vote for a plan the approver has not seen is refused, and the gate shown: the children it covers.
        const open = await until('the fleet’s revoke gate', async () => (await status()).openGate);
        const unseen = await cli(['approve', started.workflowId, '--as', alice, '--plan', '0'.repeat(12)]);
        assert.notEqual(unseen.code, 0);
        assert.match(unseen.stdout, /it covers exactly these children's plans/);
        for (const c of open.children ?? []) assert.ok(unseen.stdout.includes(c.planHash), c.workflowId);
        // …and, under each, what the vote would allow on that key, in words.
        assert.equal(
          unseen.stdout.match(/^ {17}revoke access \(/gm)?.length,
          open.children?.length,
          unseen.stdout,
        );
        const asRun = await cli(['status', started.workflowId]);
        assert.match(asRun.stderr, /is a fleet: `ekm fleet status/);
        const revokeGate = await approve('revoke', alice);
        // The plan the binary planned is the plan the fleet's gate lists: one hash over the same plans.
        assert.deepEqual(
          revokeGate.children?.map((c) => c.planHash),
          planned.children.map((c) => c.planHash),
        );
        assert.equal((await status()).plan?.hash, planned.plan?.hash);
        let last: FleetStatus;
        for (;;) {
          last = await until('an archive wave or the end', async () => {
            const s = await status();
            return s.endState || s.openGate?.kind === 'archive' ? s : undefined;
          });
          if (last.endState) break;
          await approve('archive', bob);
        }
        const watched = ok(
          await cli(['fleet', 'status', started.workflowId, '--watch', '--json']),
          'status --watch',
        );
        const final = JSON.parse(watched.stdout.trim().split('\n').at(-1)!) as FleetStatus;
        assert.equal(final.endState, 'completed', final.endReason);
        assert.deepEqual(
          final.children.map((c) => c.endState),
          ['completed', 'completed'],
        );
        const human = ok(await cli(['fleet', 'status', started.workflowId]), 'ekm fleet status');
        assert.match(human.stdout, /\[#{30}\] 2\/2/);
        assert.match(human.stdout, /completed 2/);

        // The fleet's record, as an auditor reads it: fleet.md, its signature and both children's chains
        // verified with the worker's key; an edited fleet.json is caught.
        const publicKey = path.join(dir, 'worker.pub');
        fs.writeFileSync(
          publicKey,
          publicKeyFrom(fs.readFileSync(path.join(worker.evidenceDir, sandboxKeyName), 'utf8'))
            .export({ format: 'pem', type: 'spki' })
            .toString(),
        );
        const auditor = (args: string[]) =>
          runCli(args, { EKM_EVIDENCE_DIR: worker.evidenceDir, TEMPORAL_ADDRESS: '127.0.0.1:1' });
        const read = ok(
          await auditor(['evidence', started.workflowId, '--public-key', publicKey]),
          'ekm evidence <fleet>',
        );
        assert.match(read.stdout, new RegExp(`^# Fleet ${started.workflowId}`));
        assert.match(read.stdout, /fleet record: verified: .* 2 of 2 children's chains/);
        const verified = ok(
          await auditor(['evidence', 'verify', started.workflowId, '--public-key', publicKey]),
          'ekm evidence verify <fleet>',
        );
        assert.match(verified.stdout, /^verified: /);
        const fleetFolder = path.join(worker.evidenceDir, folderFor(started.workflowId));
        const stored = path.join(fleetFolder, fs.readdirSync(fleetFolder)[0]!, 'fleet.json');
        fs.chmodSync(stored, 0o644);
        fs.writeFileSync(stored, fs.readFileSync(stored, 'utf8').replace('"completed"', '"partial"'));
        const edited = await auditor(['evidence', 'verify', started.workflowId, '--public-key', publicKey]);
        assert.notEqual(edited.code, 0);
        assert.match(edited.stderr, /fleet\.json is not the one the record signed/);
      },
      worker,
    );
    for (const k of keys) await assertRevokedInTheWorld(w, k);
  });
});

async function countFleets(client: Client): Promise<number> {
  return (await client.workflow.count(`WorkflowType = 'revokeFleet'`)).count;
}
