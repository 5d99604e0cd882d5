// `restoreAccess` (`ekm restore`) on the dev server with a sandbox worker and the OpenAI twin: a revocation
// stopped before the archive is undone behind the restore gate, and OpenAI validates and reads its old data
// again.
//
// On every cloud (moto; the Cloud KMS fake — per-cloud facts in test/fixtures/providers/guards.ts): a
// revocation cancelled during the cache wait stays revoked, and an approved restore gives access back.
//
// On Google Cloud only: the key's IAM policy, enabled versions and rotation schedule, read through the real
// @google-cloud/kms client, are the snapshot's; a rejected restore changes nothing; a revocation past the
// archive is refused by the workflow and by the binary. (AWS's reject-at-the-archive-then-restore runs
// through the binary in cliRevoke.test.ts; these rows on AWS too would add their runs to npm test.)
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/workflowIds';
import { type GcpRevokeKeyInput } from '../../providers/gcp/request';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { statusQuery } from '../../workflows/revoke/messages';
import { restoreAccess } from '../../workflows/restoreAccess';
import { revokeKey } from '../../workflows/revokeKey';
import { runCli } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence } from '../fixtures/evidence';
import { ended, guardedRuns, guardsClouds, validateStatus } from '../fixtures/providers/guards';
import {
  approvers,
  gcpRevocation,
  requester,
  startGcpRevocationWorld,
  vote,
  waitForStatus,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { recordForReplay } from '../fixtures/replay';
import { devServer } from '../fixtures/services';
import { call } from '../fixtures/twin';
import { withWorker, type WorkerContext } from '../fixtures/worker';

for (const cloud of guardsClouds) {
  describe(`restoreAccess after a cancel (${cloud.provider})`, function () {
    const { run, record, bindingsAre, closeWorld } = guardedRuns(cloud);
    afterEach(closeWorld);

    it('cancelled during the cache wait: stops revoked, access stays revoked; `restore` (gated) gives it back', async function () {
      await run(
        'cancelInCacheWait',
        async ({ w, handle, client, taskQueue }) => {
          await bindingsAre(w, 1);
          await vote(handle, 'revoke', approvers[0]!);
          await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
          await handle.cancel();
          const status = await ended(handle);
          assert.equal(status.endState, 'revoked-unverified');
          await bindingsAre(w, 0, 'a cancel never gives access back');
          assert.equal(await validateStatus(w), 400, 'a cancel never gives access back');

          const restore = await client.workflow.start(restoreAccess, {
            taskQueue,
            workflowId: keyWorkflowId(w.key),
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
          await record('cancelInCacheWait', handle, status.runId);
          await record('restore', restore);
          await bindingsAre(w, 1, 'the binding is back');
          assert.equal(await validateStatus(w), 200);
          assert.equal(await w.readOldFile({ coldCache: true }), 200);
        },
        { revoke: { cacheWaitSeconds: 600 } },
      );
    });
  });
}

// --- Google Cloud only: the snapshot's bindings, versions and rotation; a rejected restore; past the archive

const ttlSeconds = 2;
const day = 86_400;

/** What OpenAI answers for the first project's old batch output now (200: it decrypted the data key). */
async function oldFileStatus(w: GcpRevocationWorld): Promise<number> {
  const [project] = w.projects;
  return (await call(w.twin.url, 'GET', `/v1/files/${project!.fileId}/content`, project!.apiKey)).status;
}

/** The members of the key's IAM policy that hold OpenAI's role, read through the real client. */
async function openAiMembers(w: GcpRevocationWorld): Promise<string[]> {
  const [policy] = await w.gcp.iam.getIamPolicy({ resource: w.keyName });
  return (policy.bindings ?? [])
    .filter((b) => b.members?.includes(w.principal))
    .map((b) => `${b.role}:${w.principal}`);
}

/** Every version of the key with its state, and its automatic rotation, through the real client. */
async function keyState(w: GcpRevocationWorld) {
  const [key] = await w.gcp.kms.getCryptoKey({ name: w.keyName });
  const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
  return {
    versions: Object.fromEntries(versions.map((v) => [v.name!.split('/').pop()!, String(v.state)])),
    rotationPeriodSeconds:
      key.rotationPeriod?.seconds === undefined || key.rotationPeriod?.seconds === null
        ? undefined
        : Number(key.rotationPeriod.seconds),
    nextRotationTime: key.nextRotationTime?.seconds ? Number(key.nextRotationTime.seconds) : undefined,
  };
}

/** A run's evidence folder in the worker's store, checked against the schema and its chain verified. */
function evidenceOf(evidenceDir: string, workflowId: string, runId: string): RunStatus<RunSubject> {
  return assertEvidence(path.join(evidenceDir, folderFor(workflowId), runId));
}

describe('restoreAccess for Google Cloud revocations (Cloud KMS fake, OpenAI twin)', function () {
  this.timeout(300_000);
  let world: GcpRevocationWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  /** Starts a revocation of the world's key by `method` on a fresh worker, and hands it to `body`. */
  async function revocation<T>(
    method: 'remove-binding' | 'disable-versions',
    body: (
      ctx: WorkerContext & {
        w: GcpRevocationWorld;
        request: GcpRevokeKeyInput;
        handle: WorkflowHandle;
        workflowId: string;
        evidenceDir: string;
      },
    ) => Promise<T>,
    options: {
      revoke?: object;
      request?: Partial<GcpRevokeKeyInput>;
      before?: (w: GcpRevocationWorld) => Promise<void>;
    } = {},
  ): Promise<T> {
    const w = (world = await startGcpRevocationWorld(ttlSeconds));
    await options.before?.(w);
    const request = { ...(gcpRevocation.request(w, method) as GcpRevokeKeyInput), ...options.request };
    const workflowId = keyWorkflowId(w.keyName);
    const worker = w.worker({ revoke: options.revoke });
    return withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId,
          args: [request],
        });
        return body({ ...ctx, w, request, handle, workflowId, evidenceDir: worker.evidenceDir });
      },
      worker,
    );
  }

  function startRestore(ctx: WorkerContext, workflowId: string, revoked: { runId: string }, ticket: string) {
    return ctx.client.workflow.start(restoreAccess, {
      taskQueue: ctx.taskQueue,
      workflowId,
      args: [
        {
          revokeWorkflowId: workflowId,
          revokeRunId: revoked.runId,
          requester,
          reason: 'the rehearsal is over',
          changeTicket: ticket,
        },
      ],
    });
  }

  it('remove-binding rejected at the archive gate: a rejected restore changes nothing; an approved one puts the binding back', async function () {
    await revocation('remove-binding', async (ctx) => {
      const { w, handle, workflowId, evidenceDir } = ctx;
      const before = await openAiMembers(w);
      assert.equal(before.length, 1, 'the world grants OpenAI’s principal on the key');
      await vote(handle, 'revoke', approvers[0]!);
      await vote(handle, 'archive', approvers[1]!, 'reject');
      const revoked = await ended(handle);
      assert.equal(revoked.endState, 'revoked-verified', revoked.endReason);
      assert.deepEqual(await openAiMembers(w), [], 'the revocation took the binding off');
      assert.equal(await validateStatus(w), 400);

      // A restore whose gate is rejected: nothing changes.
      const refusedRestore = await startRestore(ctx, workflowId, revoked, 'CHG-5001');
      const gate = (await waitForStatus(refusedRestore, (s) => s.openGate?.kind === 'restore', 'the gate'))
        .openGate!;
      // The plan speaks Cloud KMS: the key name, OpenAI's principal, and the binding it puts back.
      const plan = (await refusedRestore.query(statusQuery)).plan!;
      assert.ok(plan.changes[0]!.includes(`remove-binding removed on ${w.keyName} / ${w.principal}`));
      assert.match(plan.changes[1]!, /^IAM SetIamPolicy: put back principal:\/\/\S+ in \S+ on projects\//);
      // The gate approves this plan and exactly one action: putting back the snapshot, named by its hash.
      assert.deepEqual(gate.plans, [plan.hash]);
      assert.deepEqual(
        gate.actions?.map((a) => a.do),
        ['restore-access'],
      );
      await vote(refusedRestore, 'restore', approvers[1]!, 'reject');
      const rejected = (await refusedRestore.result()) as RunStatus<RunSubject>;
      assert.equal(rejected.endState, 'rejected', rejected.endReason);
      assert.deepEqual(await openAiMembers(w), [], 'a rejected restore puts nothing back');
      assert.equal(await validateStatus(w), 400);
      assert.equal(
        rejected.steps.find((s) => s.step === 'restore')?.state,
        'pending',
        'the restore step never ran',
      );

      // Approved: the binding is the snapshot's again, OpenAI validates and reads its old data.
      const restore = await startRestore(ctx, workflowId, revoked, 'CHG-5002');
      await vote(restore, 'restore', approvers[0]!);
      const restored = (await restore.result()) as RunStatus<RunSubject>;
      assert.equal(restored.endState, 'restored', restored.endReason);
      await recordForReplay(restore, 'restoreAccess-restored-gcp-remove-binding');
      assert.deepEqual(await openAiMembers(w), before);
      assert.equal(await validateStatus(w), 200);
      assert.equal(await oldFileStatus(w), 200, 'OpenAI opens its old data again');

      // Both restores left a record: schema-valid, chain verified, naming the revocation they undo.
      const rejectedRecord = evidenceOf(evidenceDir, workflowId, rejected.runId);
      assert.equal(rejectedRecord.endState, 'rejected');
      const record = evidenceOf(evidenceDir, workflowId, restored.runId);
      assert.equal(record.endState, 'restored');
      assert.deepEqual(record.restores, { workflowId, runId: revoked.runId });
      assert.equal(record.request.provider, 'gcp');
      assert.equal((record.request as { keyName?: string }).keyName, w.keyName);
      assert.equal(record.request.changeTicket, 'CHG-5002');
      assert.ok(record.gates.some((g) => g.kind === 'restore' && g.decision === 'approved'));
      assert.equal(record.steps.find((s) => s.step === 'validate')?.state, 'done');
    });
  });

  it('disable-versions cancelled during the cache wait: `ekm restore` and its gate bring back the enabled versions and the rotation', async function () {
    const period = 30 * day;
    let nextRotation = 0;
    await revocation(
      'disable-versions',
      async (ctx) => {
        const { w, handle, workflowId, evidenceDir } = ctx;
        const before = await keyState(w);
        assert.deepEqual(before.versions, { '1': 'ENABLED', '2': 'DISABLED' });
        assert.equal(before.rotationPeriodSeconds, period);
        await vote(handle, 'revoke', approvers[0]!);
        await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
        await handle.cancel();
        const revoked = await ended(handle);
        assert.equal(revoked.endState, 'revoked-unverified', revoked.endReason);
        const disabled = await keyState(w);
        assert.deepEqual(disabled.versions, { '1': 'DISABLED', '2': 'DISABLED' });
        assert.equal(disabled.rotationPeriodSeconds, undefined, 'the revocation stopped the rotation');
        assert.equal(await validateStatus(w), 400);

        // Through the binary, with the flags an AWS restore takes: the revocation's id (its latest run).
        const cli = await runCli(
          ['restore', workflowId, ...['--reason', 'the rehearsal is over', '--ticket', 'CHG-5003', '--json']],
          {
            TEMPORAL_ADDRESS: (await devServer()).address,
            TEMPORAL_NAMESPACE: 'default',
            EKM_USER: requester,
            EKM_UI_URL: 'http://ui.test:8233',
          },
        );
        assert.equal(cli.code, 0, `${cli.stderr}\n${cli.stdout}`);
        const started = JSON.parse(cli.stdout) as {
          workflowId: string;
          runId: string;
          restores: { runId: string };
        };
        assert.equal(started.workflowId, workflowId);
        assert.equal(started.restores.runId, revoked.runId);
        const restore = ctx.client.workflow.getHandle(workflowId, started.runId);
        const description = await restore.describe();
        assert.equal(description.type, 'restoreAccess');
        assert.equal(description.taskQueue, ctx.taskQueue, 'on the revocation’s queue by default');
        const gate = (await waitForStatus(restore, (s) => s.openGate?.kind === 'restore', 'the gate'))
          .openGate!;
        const plan = (await restore.query(statusQuery)).plan!;
        assert.match(plan.changes[1]!, /^Cloud KMS UpdateCryptoKeyVersion: enable 1$/);
        assert.match(plan.changes[2]!, new RegExp(`automatic rotation every ${period} s again`));
        assert.deepEqual(gate.plans, [plan.hash]);
        await vote(restore, 'restore', approvers[1]!);
        const restored = (await restore.result()) as RunStatus<RunSubject>;
        assert.equal(restored.endState, 'restored', restored.endReason);
        await recordForReplay(restore, 'restoreAccess-restored-gcp-disable-versions');

        // Exactly the snapshot: version 1 enabled, version 2 (disabled before the revocation) left so,
        // and the schedule back with its next rotation still ahead.
        const after = await keyState(w);
        assert.deepEqual(after.versions, before.versions);
        assert.equal(after.rotationPeriodSeconds, period);
        assert.equal(after.nextRotationTime, nextRotation, 'the snapshot’s next rotation, still ahead');
        assert.equal(await validateStatus(w), 200);
        assert.equal(await oldFileStatus(w), 200, 'OpenAI opens its old data again');
        const record = evidenceOf(evidenceDir, workflowId, started.runId);
        assert.equal(record.endState, 'restored');
        assert.deepEqual(record.restores, { workflowId, runId: revoked.runId });
        assert.match(
          String(record.steps.find((s) => s.step === 'restore')?.summary),
          /cryptoKeyVersions\/1 enabled|1 enabled/,
        );
      },
      {
        revoke: { cacheWaitSeconds: 600 },
        // A second version, disabled before the revocation, and a monthly rotation due in a day.
        before: async (w) => {
          await w.gcp.kms.createCryptoKeyVersion({ parent: w.keyName, cryptoKeyVersion: {} });
          await w.gcp.kms.updateCryptoKeyVersion({
            cryptoKeyVersion: { name: `${w.keyName}/cryptoKeyVersions/2`, state: 'DISABLED' },
            updateMask: { paths: ['state'] },
          });
          nextRotation = Math.floor(w.gcp.fake.now().getTime() / 1000) + day;
          await w.gcp.kms.updateCryptoKey({
            cryptoKey: {
              name: w.keyName,
              rotationPeriod: { seconds: period },
              nextRotationTime: { seconds: nextRotation },
            },
            updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
          });
        },
      },
    );
  });

  it('a revocation past the archive is refused, by `ekm restore` and by the workflow, and nothing changes', async function () {
    await revocation(
      'remove-binding',
      async (ctx) => {
        const { w, handle, workflowId, evidenceDir } = ctx;
        await vote(handle, 'revoke', approvers[0]!);
        await vote(handle, 'archive', approvers[1]!);
        const revoked = (await handle.result()) as RunStatus<RunSubject>;
        assert.equal(revoked.endState, 'archived', revoked.endReason); // no replacement asked for

        const cli = await runCli(['restore', workflowId, '--reason', 'too late', '--ticket', 'CHG-5004'], {
          TEMPORAL_ADDRESS: (await devServer()).address,
          TEMPORAL_NAMESPACE: 'default',
          EKM_USER: requester,
        });
        assert.equal(cli.code, 4, cli.stderr);
        assert.match(
          cli.stderr,
          /reached "Archive the project\(s\)[^"]*": an archived project stays archived/,
        );

        // The workflow refuses on its own, for a client that skips the CLI's check.
        const restore = await startRestore(ctx, workflowId, revoked, 'CHG-5004');
        await assert.rejects(restore.result(), (err: Error) => {
          assert.ok(err instanceof WorkflowFailedError, String(err));
          assert.match(String(err.cause?.message), /reached "Archive the project\(s\)/);
          return true;
        });
        const refused = evidenceOf(evidenceDir, workflowId, restore.firstExecutionRunId);
        assert.equal(refused.endState, 'refused');
        assert.deepEqual(await openAiMembers(w), [], 'nothing was put back');
        assert.equal(await validateStatus(w), 400);
      },
      { request: { replace: false } },
    );
  });
});
