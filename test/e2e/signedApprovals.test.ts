// Signed approvals on a real run (dev server, moto, the OpenAI twin): the workflow's validator refuses a
// vote signed with another key, a statement made for another run, gate or plan, one past its expiry, and —
// on a production worker — an unsigned vote; and a gated change handed approvals that do not verify
// refuses to act. The change's own check runs in Temporal's MockActivityEnvironment (the activity context
// that carries the run it belongs to); the change itself goes to moto through the real AWS SDK.
import assert from 'node:assert/strict';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAwsClients } from '../../activities/aws/clients';
import { revokeAwsAccessActivity } from '../../activities/aws/revokeAccess';
import { snapshotAwsAccessActivity } from '../../activities/aws/snapshotAccess';
import { requireApproval } from '../../activities/requireApproval';
import type { GateView, Vote } from '../../common/approvals';
import { EkmError } from '../../common/errors';
import { keyWorkflowId } from '../../common/revoke';
import { voteStatement } from '../../common/signedStatement';
import { parseWorkerConfig } from '../../worker/config';
import { statusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { signatureBy, signersFor } from '../fixtures/approverKeys';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, sandboxWorker, waitForGate, waitForStatus } from '../fixtures/revoke';
import { moto } from '../fixtures/services';
import type { TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const [alice, bob] = approvers as [string, string];

async function refused(handle: WorkflowHandle, vote: Vote, why: RegExp): Promise<void> {
  await assert.rejects(handle.executeUpdate(voteUpdate, { args: [vote] }), (err: Error) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    assert.match(String(err.cause?.message), why);
    return true;
  });
}

describe('signed approvals (aws)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function atRevokeGate(
    production: boolean,
    body: (handle: WorkflowHandle, gate: GateView, runId: string) => Promise<void>,
  ): Promise<void> {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    const options = sandboxWorker(w);
    if (production)
      // Production rules: signed acts only, and the runbook's one-hour wait (never reached here).
      options.config = { ...options.config, sandbox: false, revoke: { cacheWaitSeconds: 3600 } };
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        const gate = await waitForGate(handle, 'revoke');
        const { runId } = await handle.describe();
        await body(handle, gate, runId);
      },
      options,
    );
  }

  it('refuses another key, a statement for another run, gate, plan or decision, and an expired one', async function () {
    await atRevokeGate(false, async (handle, gate, runId) => {
      const run = { workflowId: handle.workflowId, runId };
      const unsigned: Vote = {
        gateId: gate.gateId,
        planHash: gate.planHash,
        decision: 'reject',
        approver: alice,
      };
      const signedFor = (
        statementRun = run,
        statementVote: Vote = unsigned,
        by = alice,
        validForMs = 600_000,
      ) => ({
        ...unsigned,
        signature: signatureBy(by, (e) => voteStatement(statementRun, statementVote, e), validForMs),
      });
      const notHers = /the signature is not alice@example.com's for this statement/;
      await refused(handle, signedFor(run, unsigned, bob), notHers);
      await refused(handle, signedFor({ ...run, runId: 'another-run' }), notHers);
      await refused(handle, signedFor({ ...run, workflowId: 'ekm-key:another' }), notHers);
      await refused(handle, signedFor(run, { ...unsigned, gateId: 'revoke-2' }), notHers);
      await refused(handle, signedFor(run, { ...unsigned, planHash: 'e'.repeat(64) }), notHers);
      await refused(handle, signedFor(run, { ...unsigned, decision: 'approve' }), notHers);
      await refused(handle, signedFor(run, unsigned, alice, -60_000), /expired at .*sign it again/);
      // None of them counted: the gate is still open and empty, the key still readable by OpenAI.
      const open = (await handle.query(statusQuery)).openGate;
      assert.equal(open?.votes.length, 0);

      // Her own, valid signature counts, and the record says it was verified.
      await handle.executeUpdate(voteUpdate, { args: [signedFor()] });
      const status = await waitForStatus(handle, (s) => s.endState !== undefined, 'the rejection');
      assert.equal(status.endState, 'rejected');
      assert.equal(status.gates[0]!.votes[0]!.authenticated, true);
      assert.equal(status.settings?.approvals.signers?.[alice]?.length, 1);
    });
  });

  it('a production worker refuses an unsigned vote, and takes the signed one', async function () {
    await atRevokeGate(true, async (handle, gate, runId) => {
      const unsigned: Vote = {
        gateId: gate.gateId,
        planHash: gate.planHash,
        decision: 'reject',
        approver: bob,
      };
      await refused(handle, unsigned, /is not signed: this worker takes signed acts only/);
      const signature = signatureBy(bob, (e) =>
        voteStatement({ workflowId: handle.workflowId, runId }, unsigned, e),
      );
      await handle.executeUpdate(voteUpdate, { args: [{ ...unsigned, signature }] });
      const status = await waitForStatus(handle, (s) => s.endState !== undefined, 'the rejection');
      assert.equal(status.endState, 'rejected');
      assert.equal(status.settings?.mode, 'production');
    });
  });

  it('a gated change handed approvals that do not verify refuses to act; verified ones let it act', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const { keyArn, roleArn } = w.demo.aws;
    const policy = { approvers, quorum: 1, deadlineSeconds: 3600 };
    const config = parseWorkerConfig({
      aws: { endpoint: (await moto()).endpoint },
      approvals: {
        gates: { revoke: policy, archive: policy, deletion: policy, restore: policy },
        signers: signersFor(approvers),
      },
    });
    const aws = createAwsClients(config.aws);
    const revoke = requireApproval(
      'revoke',
      config,
      revokeAwsAccessActivity(aws, { vendorPrincipals: config.aws.openAiPrincipals }),
    );
    const snapshot = await snapshotAwsAccessActivity(aws)({ keyArn, roleArn });
    const run = { workflowId: keyWorkflowId(keyArn), runId: 'run-under-test' };
    const inRun = new MockActivityEnvironment({ workflowExecution: run });
    const keyPolicy = async () =>
      (await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy;
    const before = await keyPolicy();
    const gateWith = (signature: Vote['signature']): GateView => ({
      gateId: 'revoke-1',
      kind: 'revoke',
      planHash: 'd'.repeat(64),
      policy,
      breakGlass: false,
      openedAt: new Date().toISOString(),
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
      decision: 'approved',
      votes: [
        {
          gateId: 'revoke-1',
          planHash: 'd'.repeat(64),
          decision: 'approve',
          approver: alice,
          at: new Date().toISOString(),
          via: 'update',
          ...(signature ? { signature } : {}),
        },
      ],
    });
    const statementFor = (r: typeof run) => (e: string) =>
      voteStatement(
        r,
        { gateId: 'revoke-1', planHash: 'd'.repeat(64), decision: 'approve', approver: alice },
        e,
      );
    const input = { method: 'key-policy-deny' as const, keyArn, roleArn, snapshot };
    for (const [what, signature] of [
      ['signed with bob’s key', signatureBy(bob, statementFor(run))],
      ['signed for another run', signatureBy(alice, statementFor({ ...run, runId: 'other' }))],
      ['unsigned', undefined],
    ] as const) {
      await assert.rejects(
        inRun.run(revoke, {
          ...input,
          approval: { gate: gateWith(signature), requester: 'rita@example.com' },
        }),
        (err: Error & { type?: string }) => {
          assert.equal(err.type, EkmError.ApprovalNotVerified, what);
          assert.match(err.message, /refused to act: gate revoke-1 has 0 verified approval\(s\)/);
          return true;
        },
      );
      assert.equal(await keyPolicy(), before, `nothing changed after approvals ${what}`);
    }
    await assert.rejects(inRun.run(revoke, input), /handed no approvals/);
    assert.equal(await keyPolicy(), before);

    const change: { changed: boolean } = await inRun.run(revoke, {
      ...input,
      approval: { gate: gateWith(signatureBy(alice, statementFor(run))), requester: 'rita@example.com' },
    });
    assert.equal(change.changed, true);
    assert.notEqual(await keyPolicy(), before);
  });
});
