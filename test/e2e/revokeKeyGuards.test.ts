// What keeps a revocation honest when people and services misbehave: refused votes, drift after an
// approval, validate answers that are not verdicts, data still readable, creates whose answers are lost,
// cancellation at the first gate and after the archive (a cancel during the cache wait, and the restore
// after it, are in restore.test.ts). Each row runs once per cloud, on the dev server with the OpenAI twin
// and the cloud's stand-in (moto; the Cloud KMS fake), and each is checked where a user would look —
// the key's state in the cloud, OpenAI's validate, the twin's projects — never by which function ran.
// How a row's cloud-side move translates per cloud (drift, a key briefly usable again, the trail
// unreadable, a create's answer lost) is in test/fixtures/providers/guards.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { watchWorkflowId } from '../../common/watchdog';
import { voteSignal, voteUpdate, statusQuery } from '../../workflows/revoke/messages';
import { runTag } from '../../workflows/revoke/provision';
import {
  ended,
  guardedRuns,
  guardsClouds,
  projectStatus,
  validateStatus,
} from '../fixtures/providers/guards';
import {
  approvers,
  attest,
  requester,
  vote,
  waitForGate,
  waitForStatus,
  waitForTask,
} from '../fixtures/revoke';
import { call } from '../fixtures/twin';

for (const cloud of guardsClouds) {
  describe(`revokeKey guards (${cloud.provider})`, function () {
    const { run, record, bindingsAre, closeWorld } = guardedRuns(cloud);
    afterEach(closeWorld);

    it('refuses the requester, an unknown approver and an old plan; drift after approval opens a new gate', async function () {
      await run('drift', async ({ w, handle }) => {
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

        // The world moves between the plan and the vote.
        await cloud.grantAnotherUser(w);
        await handle.executeUpdate(voteUpdate, { args: [{ ...base, approver: approvers[0]! } as never] });
        const second = await waitForStatus(
          handle,
          (s) => s.openGate?.kind === 'revoke' && s.openGate.gateId !== gate.gateId,
          'a new revoke gate',
        );
        assert.notEqual(second.openGate!.planHash, gate.planHash);
        // The approval of the old plan does not carry over, and nothing was revoked meanwhile.
        await refused({ ...base, approver: approvers[1] }, /not the open gate/);
        await bindingsAre(w, 1, 'OpenAI’s binding is still there');
        assert.equal(await validateStatus(w), 200);
        await vote(handle, 'revoke', approvers[1]!, 'reject');
        const status = await ended(handle);
        assert.equal(status.endState, 'rejected');
        assert.equal(status.gates.length, 2);
        assert.equal(status.refusedVotes[0]?.approver, 'mallory@example.com');
        await bindingsAre(w, 1, 'a rejected run removes nothing');
        await record('drift', handle);
      });
    });

    it('with its own admin key refused after the revoke, the run never reports revocation', async function () {
      await run(
        'adminKeyRefused',
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
          // Stopping is not undoing: the key stays disabled.
          assert.deepEqual(await cloud.keyStates(w), cloud.states.disabled);
          await record('adminKeyRefused', handle);
        },
        { revoke: { validateWindowSeconds: 3 } },
      );
    });

    it('with validate answering 503, the run never reports revocation', async function () {
      await run(
        'validate503',
        async ({ w, handle }) => {
          await vote(handle, 'revoke', approvers[0]!);
          await waitForStatus(
            handle,
            (s) => s.steps.find((x) => x.step === 'revoke')?.state === 'done',
            'the revoke',
          );
          await call(w.twin.url, 'POST', '/_twin/faults', w.adminKey, {
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
          await bindingsAre(w, 0, 'the binding stays removed');
        },
        { revoke: { validateWindowSeconds: 3 } },
      );
    });

    it('data still readable after the wait (a cache longer than the wait) stops at a person', async function () {
      await run(
        'cacheLongerThanWait',
        async ({ w, handle }) => {
          await vote(handle, 'revoke', approvers[0]!);
          await waitForTask(handle, 'probe-escalation');
          // What the probes saw: the twin still opens the old data from its cache, though access is gone.
          await bindingsAre(w, 0);
          assert.equal(await w.readOldFile(), 200);
          await attest(handle, 'probe-escalation', approvers[0]!, 'stop');
          const status = await ended(handle);
          assert.equal(status.endState, 'revoked-unverified');
          assert.equal(status.steps.find((s) => s.step === 'archive')?.state, 'pending');
          for (const project of w.projects) assert.equal(await projectStatus(w, project.id), 'active');
        },
        { ttlSeconds: 600, revoke: { probeWindowSeconds: 3 } },
      );
    });

    it('a use the audit trail shows after the revocation (access briefly back) stops the run before the archive', async function () {
      await run(
        'lateUse',
        async ({ w, handle }) => {
          await vote(handle, 'revoke', approvers[0]!);
          await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
          // Someone re-enables the key, OpenAI reads an old object with it, and the key is disabled again
          // before the run probes: validate and the probes see a revoked key; only the trail saw the use.
          assert.deepEqual(await cloud.keyStates(w), cloud.states.disabled);
          assert.equal(await cloud.useKeyBriefly(w), 200, 'the re-enabled key let OpenAI decrypt');

          const status = await ended(handle);
          assert.equal(status.endState, 'revoked-unverified', status.endReason);
          assert.match(status.endReason!, cloud.lateUseReason);
          assert.equal(status.steps.find((s) => s.step === 'probes')?.state, 'done');
          assert.equal(status.steps.find((s) => s.step === 'trail')?.state, 'failed');
          assert.equal(status.usage?.after?.lateUses.length, 1);
          assert.equal(status.steps.find((s) => s.step === 'archive')?.state, 'pending');
          for (const project of w.projects)
            assert.equal(await projectStatus(w, project.id), 'active', 'nothing archived');
          assert.deepEqual(await cloud.keyStates(w), cloud.states.disabled);
          await record('lateUse', handle);
        },
        { revoke: { cacheWaitSeconds: 10 } },
      );
    });

    it(`with ${cloud.trailUnreadable.title} the revocation goes on, and the record says the trail could not be read`, async function () {
      await run(
        'trailUnreadable',
        async ({ w, handle }) => {
          await vote(handle, 'revoke', approvers[0]!);
          await vote(handle, 'archive', approvers[1]!);
          const status = (await handle.result()) as RunStatus<RunSubject>;
          assert.equal(status.endState, 'completed', status.endReason);
          assert.ok(status.usage?.before?.error, 'the look-back could not be read');
          assert.ok(status.usage?.after?.error, 'nor the check after the wait');
          if (cloud.trailUnreadable.error) {
            assert.match(
              String(status.usage.before.error),
              cloud.trailUnreadable.error,
              'the look-back was refused',
            );
            assert.match(
              String(status.usage.after.error),
              cloud.trailUnreadable.error,
              'and the check after the wait',
            );
          }
          assert.equal(status.steps.find((s) => s.step === 'trail')?.state, 'skipped');
          await cloud.after?.trailUnreadable?.(w, status);
          // The revocation itself holds.
          await bindingsAre(w, 0);
          assert.equal(await validateStatus(w), 400);
          for (const project of w.projects) assert.equal(await projectStatus(w, project.id), 'archived');
        },
        { fault: 'trail-unreadable' },
      );
    });

    it('creates whose answers are lost (apply-then-fail) end with exactly one of each new thing', async function () {
      await run(
        'lostCreates',
        async ({ w, handle }) => {
          for (const path of ['/v1/organization/external_keys', '/v1/organization/projects'])
            await call(w.twin.url, 'POST', '/_twin/faults', w.adminKey, {
              kind: 'apply-then-500',
              method: 'POST',
              path,
              count: 1,
            });
          await vote(handle, 'revoke', approvers[0]!);
          await vote(handle, 'archive', approvers[1]!);
          const status = await ended(handle);
          assert.equal(status.endState, 'completed', status.endReason);
          // Both of OpenAI's answers armed to be lost were: the twin's rules are used up.
          const armed = await call(w.twin.url, 'GET', '/_twin/faults', w.adminKey);
          assert.deepEqual((armed.body as { data: unknown[] }).data, []);
          await cloud.after?.lostCreates?.(w, status);

          // One external key and one project per archived one, at OpenAI.
          const suffix = runTag(status.runId);
          const external = w.twin.store.data.externalKeys.filter((k) => k.name === `ekm-${suffix}`);
          assert.equal(external.length, 1);
          assert.equal(external[0]!.id, status.replacement?.externalKeyId);
          for (const old of w.projects) {
            const name = `${w.twin.store.data.projects.find((p) => p.id === old.id)!.name}-${suffix}-${old.id.slice(-6)}`;
            assert.equal(w.twin.store.data.projects.filter((p) => p.name === name).length, 1, name);
          }
          assert.equal(await validateStatus(w, external[0]!.id), 200);
        },
        // The cloud's creates lose their answers on the worker's way to it where the twin cannot reach.
        cloud.provider === 'gcp' ? { fault: 'lost-creates' } : {},
      );
    });

    it('cancelled at the first gate: ends cancelled, nothing changed', async function () {
      await run('cancelAtGate', async ({ w, handle }) => {
        const before = await cloud.keySnapshot(w);
        await waitForGate(handle, 'revoke');
        await handle.cancel();
        const status = await ended(handle);
        assert.equal(status.endState, 'cancelled');
        assert.deepEqual(await cloud.keySnapshot(w), before, 'the key and its access as they were');
        assert.deepEqual(await cloud.keyStates(w), cloud.states.enabled);
        assert.equal(await validateStatus(w), 200);
        await assert.rejects(handle.result(), WorkflowFailedError);
      });
    });

    it('from the archive on, a cancel does not stop the run', async function () {
      await run(
        'cancelAfterArchive',
        async ({ w, handle, client }) => {
          await vote(handle, 'revoke', approvers[0]!);
          await vote(handle, 'archive', approvers[1]!);
          await waitForGate(handle, 'deletion');
          await handle.cancel();
          await vote(handle, 'deletion', approvers[0]!);
          const status = (await handle.result()) as RunStatus;
          // The watch the deletion starts outlives the run: this test ends it.
          await client.workflow
            .getHandle(watchWorkflowId(w.key))
            .terminate('test over')
            .catch(() => undefined);
          assert.equal(status.endState, 'completed', status.endReason);
          assert.deepEqual(await cloud.keyStates(w), cloud.states.deletionScheduled);
          for (const project of w.projects) assert.equal(await projectStatus(w, project.id), 'archived');
          await record('cancelAfterArchive', handle);
        },
        { request: { deleteAfterDays: cloud.deleteAfterDays } },
      );
    });
  });
}
