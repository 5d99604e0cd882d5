// Signed approvals on a real run (dev server, moto, the OpenAI twin): the workflow's validator refuses a
// vote signed with another key, a statement made for another run, gate or plan, one past its expiry, and —
// on a production worker — an unsigned vote; and a gated change handed approvals that do not verify
// refuses to act. The change's own check runs in Temporal's MockActivityEnvironment (the activity context
// that carries the run it belongs to); the change itself goes to moto through the real AWS SDK.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAwsClients } from '../../providers/aws/activities/clients';
import { revokeAwsAccessActivity } from '../../providers/aws/activities/revokeAccess';
import { snapshotAwsAccessActivity } from '../../providers/aws/activities/snapshotAccess';
import { actionOf } from '../../activities/approvedActions';
import { requireApproval } from '../../activities/requireApproval';
import type { GateView, Vote } from '../../common/approvals';
import { EkmError } from '../../common/errors';
import { gateHashOf } from '../../common/planActions';
import { keyWorkflowId } from '../../common/workflowIds';
import { type AwsRevokeKeyInput } from '../../providers/aws/request';
import type { RunStatus } from '../../providers/runStatus';
import { startStatement } from '../../common/startStatement';
import { voteStatement } from '../../common/signedStatement';
import { parseWorkerConfig } from '../../worker/config';
import { statusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { signatureBy, signersFor } from '../fixtures/approverKeys';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  awsScenario,
  requester,
  sandboxWorker,
  waitForGate,
  waitForStatus,
} from '../fixtures/revoke';
import { revokeFlagsFor, runCli } from '../fixtures/cli';
import { rememberSecret } from '../fixtures/secrets';
import { devServer, moto } from '../fixtures/services';
import { call, type TwinWorld } from '../fixtures/twin';
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

  /** A worker with production rules: signed acts only, and the runbook's one-hour wait (never reached here). */
  function productionWorker(w: TwinWorld, signers = signersFor([...approvers, requester])) {
    const options = sandboxWorker(w);
    const approvals = { ...options.config!.approvals, signers };
    options.config = { ...options.config, sandbox: false, revoke: { cacheWaitSeconds: 3600 }, approvals };
    return options;
  }

  function signedRequest(
    request: AwsRevokeKeyInput,
    signedInput: AwsRevokeKeyInput = request,
  ): AwsRevokeKeyInput {
    const workflowId = keyWorkflowId(request.keyArn);
    return {
      ...request,
      signature: signatureBy(requester, (e) => startStatement(workflowId, signedInput, e)),
    };
  }

  async function atRevokeGate(
    production: boolean,
    body: (handle: WorkflowHandle, gate: GateView, runId: string) => Promise<void>,
  ): Promise<void> {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [production ? signedRequest(request) : request],
        });
        const gate = await waitForGate(handle, 'revoke');
        const { runId } = await handle.describe();
        await body(handle, gate, runId);
      },
      production ? productionWorker(w) : sandboxWorker(w),
    );
  }

  it('a production worker refuses an unsigned start and one signed for other input, changing nothing', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const start = async (input: AwsRevokeKeyInput) => {
          const handle = await ctx.client.workflow.start(revokeKey, {
            taskQueue: ctx.taskQueue,
            workflowId: keyWorkflowId(request.keyArn),
            args: [input],
          });
          return (await handle.result()) as RunStatus;
        };
        const unsigned = await start(request);
        assert.equal(unsigned.endState, 'refused');
        assert.match(unsigned.endReason ?? '', /start refused: the start by rita@example.com is not signed/);
        // Signed for a milder reason, sent with another: the signature covers the request as sent.
        const swapped = await start(signedRequest(request, { ...request, reason: 'routine check' }));
        assert.equal(swapped.endState, 'refused');
        assert.match(swapped.endReason ?? '', /the signature is not rita@example.com's for this statement/);
        assert.equal(swapped.gates.length, 0);
        assert.equal(
          (
            await call(
              w.twin.url,
              'POST',
              `/v1/organization/external_keys/${w.demo.openai.externalKeyId}/validate`,
              w.demo.openai.adminKey,
            )
          ).status,
          200,
        );
      },
      productionWorker(w),
    );
  });

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
        gates: { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy },
        signers: signersFor(approvers),
      },
    });
    const aws = createAwsClients(config.aws);
    const revoke = requireApproval(
      'revoke',
      config,
      actionOf.revokeAwsAccess,
      revokeAwsAccessActivity(aws, { vendorPrincipals: config.aws.openAiPrincipals }),
    );
    const snapshot = await snapshotAwsAccessActivity(aws)({ keyArn, roleArn });
    const run = { workflowId: keyWorkflowId(keyArn), runId: 'run-under-test' };
    const inRun = new MockActivityEnvironment({ workflowExecution: run });
    const keyPolicy = async () =>
      (await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy;
    const before = await keyPolicy();
    // The gate a run opens for the plan: its hash commits to the plan, the revoke it approves, the kind.
    const binding = {
      plans: ['d'.repeat(64)],
      actions: [{ do: 'revoke-access', cloud: 'aws', method: 'key-policy-deny', keyArn, roleArn } as const],
    };
    const gateHash = gateHashOf(binding, 'revoke', false);
    const gateWith = (signature: Vote['signature']): GateView => ({
      gateId: 'revoke-1',
      kind: 'revoke',
      planHash: gateHash,
      ...binding,
      policy,
      breakGlass: false,
      openedAt: new Date().toISOString(),
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
      decision: 'approved',
      votes: [
        {
          gateId: 'revoke-1',
          planHash: gateHash,
          decision: 'approve',
          approver: alice,
          at: new Date().toISOString(),
          via: 'update',
          ...(signature ? { signature } : {}),
        },
      ],
    });
    const statementFor = (r: typeof run) => (e: string) =>
      voteStatement(r, { gateId: 'revoke-1', planHash: gateHash, decision: 'approve', approver: alice }, e);
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

  it('through the binary: ekm keys init, a signed start, unsigned and wrongly signed votes refused, a signed one counted', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-keys-'));
    const env = {
      TEMPORAL_ADDRESS: (await devServer()).address,
      TEMPORAL_NAMESPACE: 'default',
      EKM_USER: requester,
    };
    const fileOf = (who: string) => path.join(dir, `${who}.pem`);
    const publicKeys: Record<string, string[]> = { [bob]: signersFor([bob])[bob]! };
    for (const who of [requester, alice]) {
      const made = await runCli(['keys', 'init', '--out', fileOf(who), '--as', who, '--json'], env);
      assert.equal(made.code, 0, made.stderr);
      rememberSecret(fs.readFileSync(fileOf(who), 'utf8').split('\n')[1]!);
      const printed = JSON.parse(made.stdout) as { publicKey: string; signers: Record<string, string[]> };
      assert.deepEqual(printed.signers, { [who]: [printed.publicKey] });
      assert.equal(fs.statSync(fileOf(who)).mode & 0o777, 0o600, 'only its owner reads a private key');
      publicKeys[who] = [printed.publicKey];
    }
    const again = await runCli(['keys', 'init', '--out', fileOf(alice)], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /ekm never replaces a signing key/);

    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const flags = revokeFlagsFor(request, ctx.taskQueue);
        const started = await runCli(
          ['revoke', 'start', ...flags, '--signing-key', fileOf(requester), '--json'],
          env,
        );
        assert.equal(started.code, 0, started.stderr);
        const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
        const handle = ctx.client.workflow.getHandle(workflowId);
        const gate = await waitForGate(handle, 'revoke');
        const voteArgs = (decision: string) => [
          decision,
          workflowId,
          '--as',
          alice,
          '--plan',
          gate.planHash.slice(0, 12),
        ];

        const unsigned = await runCli(voteArgs('approve'), env);
        assert.equal(unsigned.code, 4, unsigned.stderr);
        assert.match(
          unsigned.stderr,
          /the run refused the vote: the approve by alice@example.com is not signed/,
        );
        const wrongKey = await runCli([...voteArgs('approve'), '--signing-key', fileOf(requester)], env);
        assert.equal(wrongKey.code, 4, wrongKey.stderr);
        assert.match(wrongKey.stderr, /the signature is not alice@example.com's/);

        const rejected = await runCli([...voteArgs('reject'), '--json'], {
          ...env,
          EKM_SIGNING_KEY_FILE: fileOf(alice),
        });
        assert.equal(rejected.code, 0, rejected.stderr);
        assert.equal((JSON.parse(rejected.stdout) as { signed: boolean }).signed, true);
        const status = await waitForStatus(handle, (s) => s.endState !== undefined, 'the rejection');
        assert.equal(status.endState, 'rejected');
        assert.equal(status.gates[0]!.votes.length, 1);
        assert.equal(status.gates[0]!.votes[0]!.authenticated, true);
        assert.ok(status.request.signature, 'the signed start is part of the record');
      },
      productionWorker(w, publicKeys),
    );
  });
});
