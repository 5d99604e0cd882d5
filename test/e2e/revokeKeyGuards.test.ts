// What keeps a revocation honest when people and services misbehave: refused votes, drift after an
// approval, validate answers that are not verdicts, data still readable, creates whose answers are lost,
// cancellation in each zone, and restore. On the dev server with moto and the OpenAI twin.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { keyWorkflowId } from '../../common/workflowIds';
import { type AwsRevocationMethod, type AwsRevokeKeyInput } from '../../providers/aws/request';
import type { RunStatus } from '../../providers/runStatus';
import { voteSignal, voteUpdate, statusQuery } from '../../workflows/revoke/messages';
import { restoreAccess } from '../../workflows/restoreAccess';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  attest,
  awsScenario,
  requester,
  sandboxWorker,
  vote,
  waitForGate,
  waitForStatus,
  waitForTask,
} from '../fixtures/revoke';
import { call, openAiReadsOldFile, type TwinWorld } from '../fixtures/twin';
import { recordForReplay } from '../fixtures/replay';
import { withWorker, type WorkerContext } from '../fixtures/worker';
import { runTag } from '../../workflows/revoke/provision';

const scenario = awsScenario;

async function validateStatus(w: TwinWorld, id = w.demo.openai.externalKeyId): Promise<number> {
  return (
    await call(w.twin.url, 'POST', `/v1/organization/external_keys/${id}/validate`, w.demo.openai.adminKey)
  ).status;
}

/** Settles a run and reads its final status (cancelled and failed runs keep answering the query). */
async function ended(handle: WorkflowHandle): Promise<RunStatus> {
  await handle.result().catch(() => undefined);
  return handle.query(statusQuery);
}

describe('revokeKey guards (aws)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function run<T>(
    method: AwsRevocationMethod,
    body: (
      ctx: WorkerContext & { w: TwinWorld; request: AwsRevokeKeyInput; handle: WorkflowHandle },
    ) => Promise<T>,
    options: {
      ttlSeconds?: number;
      revoke?: object;
      request?: Partial<AwsRevokeKeyInput>;
      /** Where the worker reads CloudTrail (default: the twin's feed). */
      cloudTrailEndpoint?: string;
    } = {},
  ): Promise<T> {
    const w = (world = await scenario.world(method, options.ttlSeconds ?? 2));
    const request = { ...scenario.request(w, method), ...options.request };
    return withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        return body({ ...ctx, w, request, handle });
      },
      {
        ...sandboxWorker(w, { revoke: options.revoke }),
        ...(options.cloudTrailEndpoint ? { cloudTrailEndpoint: options.cloudTrailEndpoint } : {}),
      },
    );
  }

  it('refuses the requester, an unknown approver and an old plan; drift after approval opens a new gate', async function () {
    await run('key-policy-deny', async ({ w, handle }) => {
      const gate = await waitForGate(handle, 'revoke');
      const refused = async (vote: object, why: RegExp) =>
        assert.rejects(handle.executeUpdate(voteUpdate, { args: [vote as never] }), (err: Error) => {
          assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
          assert.match(String(err.cause?.message), why);
          return true;
        });
      const base = { gateId: gate.gateId, planHash: gate.planHash, decision: 'approve' };
      await refused({ ...base, approver: requester }, /separation of duties/);
      await refused({ ...base, approver: 'mallory@example.com' }, /not an approver/);
      await refused({ ...base, approver: approvers[0], planHash: 'f'.repeat(64) }, /the plan changed/);
      await refused({ ...base, approver: approvers[0], gateId: 'archive-9' }, /not the open gate/);
      // A signal cannot be refused to its sender: it is recorded as refused, boundedly.
      await handle.signal(voteSignal, { ...base, approver: 'mallory@example.com' } as never);
      await waitForStatus(handle, (s) => s.refusedVoteCount === 1, 'the refused signal');

      // The world moves between the plan and the vote: the role gains a policy.
      await w.iam.send(
        new PutRolePolicyCommand({
          RoleName: w.demo.aws.roleArn.split('/').pop()!,
          PolicyName: 'drift',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: w.demo.aws.keyArn }],
          }),
        }),
      );
      await handle.executeUpdate(voteUpdate, { args: [{ ...base, approver: approvers[0]! } as never] });
      const second = await waitForStatus(
        handle,
        (s) => s.openGate?.kind === 'revoke' && s.openGate.gateId !== gate.gateId,
        'a new revoke gate',
      );
      assert.notEqual(second.openGate!.planHash, gate.planHash);
      // The approval of the old plan does not carry over, and nothing was revoked meanwhile.
      await refused({ ...base, approver: approvers[1] }, /not the open gate/);
      assert.equal(await validateStatus(w), 200);
      await vote(handle, 'revoke', approvers[1]!, 'reject');
      const status = await ended(handle);
      assert.equal(status.endState, 'rejected');
      assert.equal(status.gates.length, 2);
      assert.equal(status.refusedVotes[0]?.approver, 'mallory@example.com');
      await recordForReplay(handle, 'revokeKey-drift-then-rejected');
    });
  });

  it('with its own admin key refused after the revoke, the run never reports revocation', async function () {
    await run(
      'disable-key',
      async ({ w, handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await waitForStatus(
          handle,
          (s) => s.steps.find((x) => x.step === 'revoke')?.state === 'done',
          'the revoke',
        );
        w.twin.store.data.adminKey = `sk-admin-rotated-${randomUUID()}`; // the worker's key is now wrong: 401
        await waitForTask(handle, 'validate-escalation');
        const midway = await handle.query(statusQuery);
        assert.notEqual(midway.steps.find((s) => s.step === 'validate')?.state, 'done');
        await attest(handle, 'validate-escalation', approvers[0]!, 'stop');
        const status = await ended(handle);
        assert.equal(status.endState, 'revoked-unverified');
        assert.equal(status.steps.find((s) => s.step === 'validate')?.state, 'failed');
        assert.equal(status.steps.find((s) => s.step === 'cache-wait')?.state, 'pending');
        await recordForReplay(handle, 'revokeKey-validate-escalation-stopped');
      },
      { revoke: { validateWindowSeconds: 3 } },
    );
  });

  it('with validate answering 503, the run never reports revocation', async function () {
    await run(
      'key-policy-deny',
      async ({ w, handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await waitForStatus(
          handle,
          (s) => s.steps.find((x) => x.step === 'revoke')?.state === 'done',
          'the revoke',
        );
        await call(w.twin.url, 'POST', '/_twin/faults', w.demo.openai.adminKey, {
          kind: '503',
          path: '/v1/organization/external_keys/*/validate',
        });
        await waitForTask(handle, 'validate-escalation');
        await attest(handle, 'validate-escalation', approvers[1]!, 'stop');
        const status = await ended(handle);
        assert.equal(status.endState, 'revoked-unverified');
        // Answers before the fault may have said revoked; none after it did, and the streak never completed.
        const validate = status.steps.find((s) => s.step === 'validate')!;
        assert.equal(validate.state, 'failed');
        const outcomes = (validate.data as { outcome: string }[]).map((a) => a.outcome);
        assert.equal(outcomes.at(-1), 'unknown');
        assert.ok(outcomes.filter((o) => o === 'revoked').length < 2, outcomes.join(','));
      },
      { revoke: { validateWindowSeconds: 3 } },
    );
  });

  it('data still readable after the wait (a cache longer than the wait) stops at a person', async function () {
    await run(
      'remove-trust',
      async ({ handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await waitForTask(handle, 'probe-escalation');
        await attest(handle, 'probe-escalation', approvers[0]!, 'stop');
        const status = await ended(handle);
        assert.equal(status.endState, 'revoked-unverified');
        assert.equal(status.steps.find((s) => s.step === 'archive')?.state, 'pending');
      },
      { ttlSeconds: 600, revoke: { probeWindowSeconds: 3 } },
    );
  });

  it('a use the audit trail shows after the revocation (access briefly back) stops the run before the archive', async function () {
    await run(
      'disable-key',
      async ({ w, handle, request }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
        // Someone re-enables the key, OpenAI reads an old object with it, and the key is disabled again
        // before the run probes: validate and the probes see a revoked key; only the trail saw the use.
        const keyId = request.keyArn.split('/').pop(); // moto answers 500 to EnableKey given an ARN
        await w.kms.send(new EnableKeyCommand({ KeyId: keyId }));
        assert.equal(
          await openAiReadsOldFile(w, { coldCache: true }),
          200,
          'the re-enabled key let OpenAI decrypt',
        );
        const [project] = w.demo.openai.projects;
        await w.kms.send(new DisableKeyCommand({ KeyId: keyId }));

        const status = await ended(handle);
        assert.equal(status.endState, 'revoked-unverified', status.endReason);
        assert.match(status.endReason!, /CloudTrail lists successful Decrypt/);
        assert.equal(status.steps.find((s) => s.step === 'probes')?.state, 'done');
        assert.equal(status.steps.find((s) => s.step === 'trail')?.state, 'failed');
        assert.equal(status.usage?.after?.lateUses.length, 1);
        assert.equal(status.steps.find((s) => s.step === 'archive')?.state, 'pending');
        const p = await call(
          w.twin.url,
          'GET',
          `/v1/organization/projects/${project!.id}`,
          w.demo.openai.adminKey,
        );
        assert.equal((p.body as { status: string }).status, 'active', 'nothing archived');
        await recordForReplay(handle, 'revokeKey-trail-late-use');
      },
      { revoke: { cacheWaitSeconds: 10 } },
    );
  });

  it('with CloudTrail unreachable the revocation goes on, and the record says the trail could not be read', async function () {
    await run(
      'key-policy-deny',
      async ({ handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await vote(handle, 'archive', approvers[1]!);
        const status = (await handle.result()) as RunStatus;
        assert.equal(status.endState, 'completed', status.endReason);
        assert.ok(status.usage?.before?.error, 'the look-back could not be read');
        assert.ok(status.usage?.after?.error, 'nor the check after the wait');
        assert.equal(status.steps.find((s) => s.step === 'trail')?.state, 'skipped');
      },
      // A closed loopback port: every LookupEvents fails at once.
      { cloudTrailEndpoint: 'http://127.0.0.1:9' },
    );
  });

  it('creates whose answers are lost (apply-then-fail) end with exactly one of each new thing', async function () {
    await run('remove-key-permission', async ({ w, handle }) => {
      for (const path of ['/v1/organization/external_keys', '/v1/organization/projects'])
        await call(w.twin.url, 'POST', '/_twin/faults', w.demo.openai.adminKey, {
          kind: 'apply-then-500',
          method: 'POST',
          path,
          count: 1,
        });
      await vote(handle, 'revoke', approvers[0]!);
      await vote(handle, 'archive', approvers[1]!);
      const status = await ended(handle);
      assert.equal(status.endState, 'completed', status.endReason);
      const suffix = runTag(status.runId);
      const keys = w.twin.store.data.externalKeys.filter((k) => k.name === `ekm-${suffix}`);
      assert.equal(keys.length, 1);
      assert.equal(keys[0]!.id, status.replacement?.externalKeyId);
      for (const old of w.demo.openai.projects) {
        const name = `${w.twin.store.data.projects.find((p) => p.id === old.id)!.name}-${suffix}-${old.id.slice(-6)}`;
        assert.equal(w.twin.store.data.projects.filter((p) => p.name === name).length, 1, name);
      }
      assert.equal(await validateStatus(w, keys[0]!.id), 200);
    });
  });

  it('cancelled at the first gate: ends cancelled, nothing changed', async function () {
    await run('disable-key', async ({ w, handle }) => {
      await waitForGate(handle, 'revoke');
      await handle.cancel();
      const status = await ended(handle);
      assert.equal(status.endState, 'cancelled');
      const key = await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }));
      assert.equal(key.KeyMetadata?.KeyState, 'Enabled');
      assert.equal(await validateStatus(w), 200);
      await assert.rejects(handle.result(), WorkflowFailedError);
    });
  });

  it('cancelled during the cache wait: stops revoked, access stays revoked; `restore` (gated) gives it back', async function () {
    await run(
      'remove-trust',
      async ({ w, handle, client, taskQueue }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
        await handle.cancel();
        const status = await ended(handle);
        assert.equal(status.endState, 'revoked-unverified');
        assert.equal(await validateStatus(w), 400, 'a cancel never gives access back');

        const restore = await client.workflow.start(restoreAccess, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [
            {
              revokeWorkflowId: status.workflowId,
              revokeRunId: status.runId,
              requester,
              reason: 'rehearsal over',
              changeTicket: 'CHG-4243',
            },
          ],
        });
        await vote(restore, 'restore', approvers[1]!);
        const restored = (await restore.result()) as RunStatus;
        assert.equal(restored.endState, 'restored', restored.endReason);
        await recordForReplay(handle, 'revokeKey-cancelled-in-cache-wait', status.runId);
        await recordForReplay(restore, 'restoreAccess-restored');
        assert.equal(await validateStatus(w), 200);
      },
      { revoke: { cacheWaitSeconds: 600 } },
    );
  });

  it('from the archive on, a cancel does not stop the run', async function () {
    await run(
      'key-policy-deny',
      async ({ w, handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await vote(handle, 'archive', approvers[1]!);
        await waitForGate(handle, 'deletion');
        await handle.cancel();
        await vote(handle, 'deletion', approvers[0]!);
        const status = (await handle.result()) as RunStatus;
        assert.equal(status.endState, 'completed');
        const key = await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }));
        assert.equal(key.KeyMetadata?.KeyState, 'PendingDeletion');
        // (revokeKey-cancel-ignored-after-archive-with-deletion.json is the same run recorded before the
        // audit trail and the watchdog: kept, not re-recorded.)
        await recordForReplay(handle, 'revokeKey-deletion-and-watchdog');
      },
      { request: { deleteAfterDays: 7 } },
    );
  });
});
