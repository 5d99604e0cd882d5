// Issue 16, findings 1, 2 and the break-glass switch of 5: what a verified approval authorises is bound.
// A workflow registered only in the tests (test/workflows/approvalReplay.ts) — what a modified bundle with
// namespace access could run — opens a real gate, gets it approved with real signed votes, and hands the
// real proof to changes the plan never named: another project, another key, other days, a flipped
// break-glass. Every one is refused by the activity, naming what it refused, and moto and the OpenAI twin
// are read before and after: nothing changed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  ListKeyRotationsCommand,
} from '@aws-sdk/client-kms';
import type { WorkflowHandle } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAwsClients } from '../../providers/aws/activities/clients';
import { rotateAwsKeyActivity } from '../../providers/aws/activities/keyRotation';
import { actionOf } from '../../activities/approvedActions';
import { requireApproval } from '../../activities/requireApproval';
import { EkmError } from '../../common/errors';
import type { AwsRunSubject } from '../../providers/aws/runSubject';
import { parseWorkerConfig } from '../../worker/config';
import { signersFor } from '../fixtures/approverKeys';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, requester, sandboxWorker, vote, waitForGate } from '../fixtures/revoke';
import { moto } from '../fixtures/services';
import { call, type TwinWorld } from '../fixtures/twin';
import { withWorker, type WithWorkerOptions } from '../fixtures/worker';
import { approvalReplay, type ApprovalReplayInput } from '../workflows/approvalReplay';

const [alice] = approvers as [string, string];
/** The incident approver: the worker's break-glass policy names her alone. */
const carol = 'carol@example.com';

describe('approvals bound to the change (aws)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  const subjectOf = (w: TwinWorld): AwsRunSubject => ({
    provider: 'aws',
    keyArn: w.demo.aws.keyArn,
    roleArn: w.demo.aws.roleArn,
    projectIds: w.demo.openai.projects.map((p) => p.id),
    requester,
    reason: 'attack rehearsal',
    changeTicket: 'CHG-16',
    method: 'key-policy-deny',
  });

  /**
   * The sandbox worker of the revocation tests, with a rotate gate and a break-glass policy of carol and
   * alice, quorum one; `twoToRevoke`: the normal revoke gate needs both alice and bob.
   */
  function workerFor(w: TwinWorld, twoToRevoke = false): WithWorkerOptions {
    const options = sandboxWorker(w);
    const approvals = options.config!.approvals!;
    options.config!.approvals = {
      ...approvals,
      gates: {
        ...approvals.gates,
        ...(twoToRevoke ? { revoke: { approvers, quorum: 2, deadlineSeconds: 3600 } } : {}),
      },
      breakGlass: { approvers: [carol, alice], quorum: 1, deadlineSeconds: 3600 },
      signers: signersFor([...approvers, carol]),
    };
    return options;
  }

  /** Starts the replaying workflow, signs its gate as `by`, and returns each call's outcome. */
  async function replay(
    w: TwinWorld,
    input: Omit<ApprovalReplayInput, 'subject'>,
    by = alice,
    onGate?: (handle: WorkflowHandle) => Promise<void>,
    twoToRevoke = false,
  ): Promise<string[]> {
    return withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(approvalReplay, {
          taskQueue: ctx.taskQueue,
          workflowId: `approval-replay-${randomUUID()}`,
          args: [{ subject: subjectOf(w), ...input }],
        });
        await waitForGate(handle, input.kind);
        await onGate?.(handle);
        await vote(handle, input.kind, by);
        return handle.result();
      },
      workerFor(w, twoToRevoke),
    );
  }

  const projectStatus = async (w: TwinWorld, id: string) =>
    (
      (await call(w.twin.url, 'GET', `/v1/organization/projects/${id}`, w.demo.openai.adminKey)).body as {
        status: string;
      }
    ).status;

  /** A project of the same organisation that no plan names. */
  async function outsideProject(w: TwinWorld): Promise<string> {
    const made = await call(w.twin.url, 'POST', '/v1/organization/projects', w.demo.openai.adminKey, {
      name: `outside-the-plan-${randomUUID().slice(0, 8)}`,
    });
    assert.ok(made.status < 300, JSON.stringify(made.body));
    return (made.body as { id: string }).id;
  }

  async function anotherKey(w: TwinWorld): Promise<string> {
    const { KeyMetadata } = await w.kms.send(
      new CreateKeyCommand({ Description: 'ekm test: a key no plan names' }),
    );
    return KeyMetadata!.Arn!;
  }

  const keyState = async (w: TwinWorld, keyArn: string) =>
    (await w.kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!;

  const refusal = (outcome: string | undefined, why: RegExp) => {
    assert.notEqual(outcome, 'done', 'the change was made with a proof that did not authorise it');
    assert.match(outcome ?? '', why);
  };

  it('a test-only workflow replays a real approved archive proof to archive a project outside the plan: refused, the project still active', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const outside = await outsideProject(w);
    const ext = w.demo.openai.externalKeyId;
    const planned = w.demo.openai.projects[0]!.id;
    const outcomes = await replay(w, {
      kind: 'archive',
      planHash: 'a'.repeat(64),
      plan: { actions: [{ do: 'archive-project', projectId: planned, externalKeyId: ext }] },
      calls: [{ name: 'archiveProject', args: { projectId: outside, externalKeyId: ext } }],
    });
    refusal(
      outcomes[0],
      new RegExp(
        `refused to act: the approved plan of gate archive-1 does not include this change: archive project ${outside}`,
      ),
    );
    assert.equal(await projectStatus(w, outside), 'active');
    assert.equal(await projectStatus(w, planned), 'active');
  });

  it('a test-only workflow replays a real approved revoke proof to disable another key: refused, that key still enabled', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const other = await anotherKey(w);
    const { keyArn, roleArn } = w.demo.aws;
    const policyBefore = (await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' })))
      .Policy;
    const outcomes = await replay(w, {
      kind: 'revoke',
      planHash: 'b'.repeat(64),
      plan: {
        actions: [{ do: 'revoke-access', cloud: 'aws', method: 'key-policy-deny', keyArn, roleArn }],
      },
      calls: [
        { name: 'revokeAwsAccess', args: { method: 'disable-key', keyArn: other, roleArn } },
        { name: 'revokeAwsAccess', args: { method: 'disable-key', keyArn, roleArn } },
      ],
    });
    refusal(
      outcomes[0],
      new RegExp(`does not include this change: revoke access \\(disable-key\\) to ${other}`),
    );
    refusal(outcomes[1], /does not include this change: revoke access \(disable-key\)/);
    assert.equal((await keyState(w, other)).KeyState, 'Enabled');
    assert.equal((await keyState(w, keyArn)).KeyState, 'Enabled');
    assert.equal(
      (await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy,
      policyBefore,
    );
  });

  it('an approved registration of the run’s external key cannot point OpenAI at a key the run did not make: refused, nothing registered', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const registered = async () =>
      (
        (await call(w.twin.url, 'GET', '/v1/organization/external_keys', w.demo.openai.adminKey)).body as {
          data: { id: string }[];
        }
      ).data.map((k) => k.id);
    const before = await registered();
    // A key OpenAI's role can use (so OpenAI would accept it), that the run did not make.
    const notTheRuns = await anotherKey(w);
    await w.iam.send(
      new PutRolePolicyCommand({
        RoleName: w.demo.aws.roleArn.split('/').pop()!,
        PolicyName: 'also-another-key',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: notTheRuns }],
        }),
      }),
    );
    const outcomes = await replay(w, {
      kind: 'archive',
      planHash: 'e'.repeat(64),
      plan: { actions: [{ do: 'register-external-key', cloud: 'aws', owner: '{tag}' }] },
      // Named for the run, as the real registration is, but pointing OpenAI at a key the run did not make.
      calls: [
        {
          name: 'registerExternalKeyOnce',
          args: {
            name: 'ekm-{tag}',
            roleArn: w.demo.aws.roleArn,
            kmsArn: notTheRuns,
            externalId: w.demo.aws.externalId,
          },
        },
      ],
    });
    refusal(outcomes[0], /is not this run's replacement key/);
    assert.deepEqual(await registered(), before, 'nothing registered with OpenAI');
  });

  it('a deletion or rotation with arguments other than the plan’s (other days, other key) is refused; the keys are untouched', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const other = await anotherKey(w);
    const { keyArn } = w.demo.aws;
    const deletions = await replay(w, {
      kind: 'deletion',
      planHash: 'c'.repeat(64),
      plan: { actions: [{ do: 'schedule-key-deletion', cloud: 'aws', keyArn, days: 30 }] },
      calls: [
        { name: 'scheduleAwsKeyDeletion', args: { keyArn, days: 7 } },
        { name: 'scheduleAwsKeyDeletion', args: { keyArn: other, days: 30 } },
      ],
    });
    refusal(
      deletions[0],
      new RegExp(`does not include this change: schedule deletion of ${keyArn} in 7 days`),
    );
    refusal(
      deletions[1],
      new RegExp(`does not include this change: schedule deletion of ${other} in 30 days`),
    );
    assert.equal((await keyState(w, keyArn)).KeyState, 'Enabled');
    assert.equal((await keyState(w, other)).KeyState, 'Enabled');

    const rotationsOf = async (k: string) =>
      (await w.kms.send(new ListKeyRotationsCommand({ KeyId: k }))).Rotations ?? [];
    const rotations = await replay(w, {
      kind: 'rotate',
      planHash: 'd'.repeat(64),
      plan: { actions: [{ do: 'rotate-key', cloud: 'aws', keyArn, rotation: { kind: 'now' } }] },
      calls: [
        {
          name: 'rotateAwsKey',
          args: { keyArn: other, rotation: { kind: 'now' }, notBefore: new Date().toISOString() },
        },
      ],
    });
    refusal(rotations[0], new RegExp(`does not include this change: rotate ${other} now`));
    assert.equal((await rotationsOf(other)).length, 0);
  });

  it('an incident run opens the archive gate under its normal policy, and a break-glass proof on the archive or deletion gate is refused', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const { keyArn } = w.demo.aws;
    const ext = w.demo.openai.externalKeyId;
    const planned = w.demo.openai.projects[0]!.id;
    // Through the product's Gatekeeper: break-glass is for the revoke gate only.
    await replay(
      w,
      { kind: 'archive', incident: true, planHash: 'e'.repeat(64), plan: { actions: [] }, calls: [] },
      alice,
      async (handle) => {
        const gate = await waitForGate(handle, 'archive');
        assert.equal(gate.breakGlass, false, 'an incident archive gate must not be break-glass');
        assert.deepEqual(gate.policy.approvers, approvers);
      },
    );
    // A bundle that opens a break-glass gate of its own, signed by the break-glass approver.
    const archive = await replay(
      w,
      {
        kind: 'archive',
        planHash: 'f'.repeat(64),
        handMade: { breakGlass: true, approvers: [carol] },
        plan: { actions: [{ do: 'archive-project', projectId: planned, externalKeyId: ext }] },
        calls: [{ name: 'archiveProject', args: { projectId: planned, externalKeyId: ext } }],
      },
      carol,
    );
    refusal(archive[0], /a break-glass approval does not cover the archive gate on this worker/);
    const deletion = await replay(
      w,
      {
        kind: 'deletion',
        planHash: '1'.repeat(64),
        handMade: { breakGlass: true, approvers: [carol] },
        plan: { actions: [{ do: 'schedule-key-deletion', cloud: 'aws', keyArn, days: 30 }] },
        calls: [{ name: 'scheduleAwsKeyDeletion', args: { keyArn, days: 30 } }],
      },
      carol,
    );
    refusal(deletion[0], /a break-glass approval does not cover the deletion gate on this worker/);
    assert.equal(await projectStatus(w, planned), 'active');
    assert.equal((await keyState(w, keyArn)).KeyState, 'Enabled');
  });

  it('a real proof with breakGlass flipped fails the signature check; the key policy is unchanged', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const { keyArn, roleArn } = w.demo.aws;
    const policy = async () =>
      (await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy;
    const before = await policy();
    const action = { do: 'revoke-access', cloud: 'aws', method: 'key-policy-deny', keyArn, roleArn } as const;
    // The worker's revoke gate needs alice and bob; its break-glass policy alice alone. A bundle opens a
    // normal gate that shows a quorum of one, gets alice's signature, and hands it on as break-glass.
    const flipped = await replay(
      w,
      {
        kind: 'revoke',
        planHash: '3'.repeat(64),
        handMade: { breakGlass: false, approvers },
        plan: { actions: [action] },
        tamper: { breakGlass: true },
        calls: [{ name: 'revokeAwsAccess', args: { method: 'key-policy-deny', keyArn, roleArn } }],
      },
      alice,
      undefined,
      true,
    );
    refusal(flipped[0], /is not the hash of the actions, plans, kind and break-glass the approvals carry/);
    assert.equal(await policy(), before);
  });

  it('an approved archive proof does not archive while OpenAI still validates the key: the archive checks validate itself', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const ext = w.demo.openai.externalKeyId;
    const planned = w.demo.openai.projects[0]!.id;
    const outcomes = await replay(w, {
      kind: 'archive',
      planHash: '4'.repeat(64),
      plan: { actions: [{ do: 'archive-project', projectId: planned, externalKeyId: ext }] },
      calls: [{ name: 'archiveProject', args: { projectId: planned, externalKeyId: ext } }],
    });
    refusal(
      outcomes[0],
      new RegExp(`refused to archive project ${planned}: OpenAI's validate of ${ext} answered success`),
    );
    assert.equal(await projectStatus(w, planned), 'active');
  });

  it('a change on a worker with no policy for its gate is refused, naming the missing approvals.gates entry', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const { keyArn } = w.demo.aws;
    const policy = { approvers, quorum: 1, deadlineSeconds: 3600 };
    const config = parseWorkerConfig({
      aws: { endpoint: (await moto()).endpoint },
      approvals: {
        gates: { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy },
        signers: signersFor(approvers),
      },
    });
    // A worker whose configuration gives the rotate gate no policy (the config may refuse such a file
    // outright; the activity must refuse on its own too).
    delete config.approvals.gates.rotate;
    const rotate = requireApproval(
      'rotate',
      config,
      actionOf.rotateAwsKey,
      rotateAwsKeyActivity(createAwsClients(config.aws)),
    );
    const inRun = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'ekm-key:attack', runId: 'run-under-test' },
    });
    const rotations = async () =>
      (await w.kms.send(new ListKeyRotationsCommand({ KeyId: keyArn }))).Rotations ?? [];
    const before = await rotations();
    await assert.rejects(
      inRun.run(rotate, { keyArn, rotation: { kind: 'now' as const }, notBefore: new Date().toISOString() }),
      (err: Error & { type?: string }) => {
        assert.equal(err.type, EkmError.ApprovalNotVerified);
        assert.match(err.message, /no policy for the rotate gate \(approvals\.gates\.rotate\)/);
        return true;
      },
    );
    assert.deepEqual(await rotations(), before);
  });
});
