// The rotation runbook end to end on the dev server: moto rotates, the OpenAI twin (a real 2 s cache TTL,
// waited out by the run) validates and reads the old objects with the key after the rotation. A rotation
// must never change OpenAI's access; when something else does during the run, the run fails loudly.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DisableKeyCommand, GetKeyRotationStatusCommand, ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/revoke';
import type { RotateKeyInput, RotateKeyRequest } from '../../common/rotate';
import type { RunStatus } from '../../common/runStatus';
import { rotationStatusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { rotateKey } from '../../workflows/rotateKey';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence } from '../fixtures/evidence';
import { recordForReplay } from '../fixtures/replay';
import { approvers, requester, sandboxWorker, scenarios, vote, waitForGate } from '../fixtures/revoke';
import { type TwinWorld } from '../fixtures/twin';
import { startWebhook, type Webhook } from '../fixtures/webhook';
import { withWorker, type WorkerContext } from '../fixtures/worker';

for (const scenario of scenarios) {
  describe(`rotateKey end to end (${scenario.provider})`, function () {
    let world: TwinWorld | undefined;
    let webhook: Webhook | undefined;
    afterEach(async () => {
      await world?.close();
      await webhook?.close();
      world = webhook = undefined;
    });

    async function run<T>(
      rotation: RotateKeyInput['rotation'],
      body: (ctx: WorkerContext & { w: TwinWorld; request: RotateKeyInput }) => Promise<T>,
      options: { rotateGate?: boolean; cacheWaitSeconds?: number } = {},
    ): Promise<T> {
      const w = (world = await scenario.world('key-policy-deny', 2));
      const hook = (webhook = await startWebhook());
      const request = scenario.rotateRequest(w, rotation);
      const worker = sandboxWorker(w, {
        rotateGate: options.rotateGate,
        revoke: { cacheWaitSeconds: options.cacheWaitSeconds ?? 3 },
      });
      worker.config!.notifications = { webhookUrl: hook.url };
      return withWorker(await devEnvironment(), (ctx) => body({ ...ctx, w, request }), worker);
    }

    function start(ctx: WorkerContext, request: RotateKeyInput) {
      return ctx.client.workflow.start(rotateKey, {
        taskQueue: ctx.taskQueue,
        workflowId: keyWorkflowId(request.keyArn),
        args: [request],
      });
    }

    it('rotate now: KMS rotates once; OpenAI still validates and reads old data after its cache', async function () {
      await run({ kind: 'now' }, async (ctx) => {
        const { w, request } = ctx;
        const rotatedBefore = Date.now();
        const handle = await start(ctx, request);
        const status = (await handle.result()) as RunStatus<RotateKeyRequest>;
        await recordForReplay(handle, 'rotateKey-rotated-now');
        assert.equal(status.endState, 'rotated', status.endReason);
        const { Rotations } = await w.kms.send(new ListKeyRotationsCommand({ KeyId: w.demo.aws.keyId }));
        assert.equal(
          Rotations?.filter((r) => r.RotationType === 'ON_DEMAND').length,
          1,
          'exactly one rotation',
        );
        const after = status.rotation!.accessAfter!;
        assert.equal(after.validate?.outcome, 'success');
        assert.deepEqual(
          after.probes.flatMap((r) => r.probes.map((p) => p.outcome)),
          Array(6).fill('readable'),
        );
        // The twin's cache (2 s) had expired: it asked KMS again, after the rotation, and KMS decrypted.
        const rotatedAt = Date.parse(status.steps.find((s) => s.step === 'rotate')!.endedAt!);
        const decrypts = w.twin.trail.events.filter(
          (e) => e.eventName === 'Decrypt' && !e.errorCode && e.eventTime > rotatedAt + 2000,
        );
        assert.ok(decrypts.length >= 1, 'old data was decrypted by KMS after the rotation');
        assert.ok(rotatedAt >= rotatedBefore);

        const folder = path.join(ctx.config.evidence.directory, folderFor(keyWorkflowId(request.keyArn)));
        const [runDir] = fs.readdirSync(folder);
        assertEvidence(path.join(folder, runDir!)); // the shipped schema, and chain.json verified
        const markdown = fs.readFileSync(path.join(folder, runDir!, 'evidence.md'), 'utf8');
        assert.match(markdown, /# EKM key rotation/);
        assert.match(markdown, /Change: KMS RotateKeyOnDemand/);
        assert.match(markdown, /OpenAI after the cache wait: validate \*\*success\*\*/);
      });
    });

    it('automatic rotation behind the rotate gate: the requester cannot approve; approved, it is on', async function () {
      await run(
        { kind: 'automatic', periodDays: 180 },
        async (ctx) => {
          const { w, request } = ctx;
          const handle = await start(ctx, request);
          const gate = await waitForGate(handle, 'rotate');
          await assert.rejects(
            handle.executeUpdate(voteUpdate, {
              args: [
                { gateId: gate.gateId, planHash: gate.planHash, decision: 'approve', approver: requester },
              ],
            }),
            WorkflowUpdateFailedError,
          );
          const waiting = await handle.query(rotationStatusQuery);
          assert.equal(waiting.steps.find((s) => s.step === 'rotate')?.state, 'pending');
          const status = await w.kms.send(new GetKeyRotationStatusCommand({ KeyId: w.demo.aws.keyId }));
          assert.equal(status.KeyRotationEnabled, false, 'nothing changed before the approval');

          await vote(handle, 'rotate', approvers[0]!);
          const done = (await handle.result()) as RunStatus<RotateKeyRequest>;
          assert.equal(done.endState, 'rotated', done.endReason);
          const on = await w.kms.send(new GetKeyRotationStatusCommand({ KeyId: w.demo.aws.keyId }));
          assert.equal(on.KeyRotationEnabled, true);
          assert.match(done.rotation!.change!.description, /EnableKeyRotation .* turned on/);
        },
        { rotateGate: true },
      );
    });

    it('alias re-pointing is refused with the runbook’s explanation; nothing changes', async function () {
      await run({ kind: 'now' }, async (ctx) => {
        const { w, request } = ctx;
        const handle = await start(ctx, { ...request, rotation: { kind: 'alias-repoint' } });
        await assert.rejects(handle.result(), (err: WorkflowFailedError) => {
          assert.match(
            rootCause(err),
            /rotation\.kind: is refused: switching an alias to another key is a key revocation/,
          );
          return true;
        });
        const { Rotations } = await w.kms.send(new ListKeyRotationsCommand({ KeyId: w.demo.aws.keyId }));
        assert.equal(Rotations?.length ?? 0, 0);
      });
    });

    it('access lost during the run (the key disabled in the cache wait): the run fails loudly and alerts', async function () {
      await run(
        { kind: 'now' },
        async (ctx) => {
          const { w, request } = ctx;
          const handle = await start(ctx, request);
          for (;;) {
            const s = await handle.query(rotationStatusQuery).catch(() => undefined);
            if (s?.stage === 'cache-wait') break;
            await new Promise((r) => setTimeout(r, 200));
          }
          await w.kms.send(new DisableKeyCommand({ KeyId: w.demo.aws.keyId }));
          await assert.rejects(handle.result(), (err: WorkflowFailedError) => {
            assert.match(rootCause(err), /changed OpenAI's access .* validate .* answered revoked/);
            return true;
          });
          const status = await handle.query(rotationStatusQuery);
          assert.equal(status.endState, 'rotation-broke-access');
          await recordForReplay(handle, 'rotateKey-broke-access');
          const alert = await webhook!.waitFor('escalation');
          assert.match(alert.message, /A rotation must never revoke/);
        },
        { cacheWaitSeconds: 6 },
      );
    });
  });
}

function rootCause(err: unknown): string {
  let e = err as { cause?: unknown; message?: string };
  while (e.cause) e = e.cause as typeof e;
  return e.message ?? '';
}
