// The rotation runbook end to end on the dev server: moto (AWS) or the Cloud KMS fake (Google Cloud)
// rotates, the OpenAI twin (a real 2 s cache TTL, waited out by the run) validates and reads the old objects
// with the key after the rotation. A rotation must never change OpenAI's access; when something else does
// during the run, the run fails loudly.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DisableKeyCommand, GetKeyRotationStatusCommand, ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/workflowIds';
import type { AwsRotateKeyRequest } from '../../providers/aws/rotateRequest';
import type { RotateKeyRequest } from '../../providers/rotateRequests';
import type { GcpRotateKeyInput } from '../../providers/gcp/rotateRequest';
import type { AwsRotateKeyInput } from '../../providers/aws/rotateRequest';
import type { RunStatus } from '../../providers/runStatus';
import { statusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { rotateKey } from '../../workflows/rotateKey';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence } from '../fixtures/evidence';
import { recordForReplay } from '../fixtures/replay';
import { runCli } from '../fixtures/cli';
import {
  approvers,
  requester,
  sandboxWorker,
  scenarios,
  startGcpRevocationWorld,
  vote,
  waitForGate,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
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
      rotation: AwsRotateKeyInput['rotation'],
      body: (ctx: WorkerContext & { w: TwinWorld; request: AwsRotateKeyInput }) => Promise<T>,
      options: { cacheWaitSeconds?: number } = {},
    ): Promise<T> {
      const w = (world = await scenario.world('key-policy-deny', 2));
      const hook = (webhook = await startWebhook());
      const request = scenario.rotateRequest(w, rotation);
      const worker = sandboxWorker(w, {
        revoke: { cacheWaitSeconds: options.cacheWaitSeconds ?? 3 },
      });
      worker.config!.notifications = { webhookUrl: hook.url };
      return withWorker(await devEnvironment(), (ctx) => body({ ...ctx, w, request }), worker);
    }

    function start(ctx: WorkerContext, request: AwsRotateKeyInput) {
      return ctx.client.workflow.start(rotateKey, {
        taskQueue: ctx.taskQueue,
        workflowId: keyWorkflowId(request.keyArn),
        args: [request],
      });
    }

    it('rotate now: KMS rotates once; OpenAI still validates and reads old data after its cache', async function () {
      await run({ kind: 'now' }, async (ctx) => {
        const { w, request } = ctx;
        const handle = await start(ctx, request);
        // Every rotation goes through the rotate gate (every worker that changes things has its policy).
        await vote(handle, 'rotate', approvers[0]!);
        const rotatedBefore = Date.now();
        const status = (await handle.result()) as RunStatus<AwsRotateKeyRequest>;
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
      await run({ kind: 'automatic', periodDays: 180 }, async (ctx) => {
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
        const waiting = await handle.query(statusQuery);
        assert.equal(waiting.steps.find((s) => s.step === 'rotate')?.state, 'pending');
        const status = await w.kms.send(new GetKeyRotationStatusCommand({ KeyId: w.demo.aws.keyId }));
        assert.equal(status.KeyRotationEnabled, false, 'nothing changed before the approval');

        await vote(handle, 'rotate', approvers[0]!);
        const done = (await handle.result()) as RunStatus<AwsRotateKeyRequest>;
        assert.equal(done.endState, 'rotated', done.endReason);
        const on = await w.kms.send(new GetKeyRotationStatusCommand({ KeyId: w.demo.aws.keyId }));
        assert.equal(on.KeyRotationEnabled, true);
        assert.match(done.rotation!.change!.description, /EnableKeyRotation .* turned on/);
      });
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
          await vote(handle, 'rotate', approvers[0]!);
          for (;;) {
            const s = await handle.query(statusQuery).catch(() => undefined);
            if (s?.stage === 'cache-wait') break;
            await new Promise((r) => setTimeout(r, 200));
          }
          await w.kms.send(new DisableKeyCommand({ KeyId: w.demo.aws.keyId }));
          await assert.rejects(handle.result(), (err: WorkflowFailedError) => {
            assert.match(rootCause(err), /changed OpenAI's access .* validate .* answered revoked/);
            return true;
          });
          const status = await handle.query(statusQuery);
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

describe('rotateKey end to end (gcp)', function () {
  let world: GcpRevocationWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  const ttlSeconds = 2;
  const day = 86_400;

  function gcpRequest(w: GcpRevocationWorld, rotation: GcpRotateKeyInput['rotation']): GcpRotateKeyInput {
    return {
      provider: 'gcp',
      keyName: w.keyName,
      principal: w.principal,
      rotation,
      externalKeyId: w.externalKeyId,
      probes: w.probes,
      requester,
      reason: 'yearly rotation',
      changeTicket: 'CHG-5151',
    };
  }

  async function run<T>(body: (ctx: WorkerContext & { w: GcpRevocationWorld }) => Promise<T>): Promise<T> {
    const w = (world = await startGcpRevocationWorld(ttlSeconds));
    const worker = w.worker({ revoke: { cacheWaitSeconds: ttlSeconds + 1 } });
    return withWorker(await devEnvironment(), (ctx) => body({ ...ctx, w }), worker);
  }

  function start(ctx: WorkerContext, request: GcpRotateKeyInput) {
    return ctx.client.workflow.start(rotateKey, {
      taskQueue: ctx.taskQueue,
      workflowId: keyWorkflowId(request.keyName),
      args: [request],
    });
  }

  async function versionsOf(w: GcpRevocationWorld) {
    const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
    return Object.fromEntries(versions.map((v) => [v.name!.split('/').pop()!, String(v.state)]));
  }

  it('rotate now: a new primary version; OpenAI still validates and reads old data after its cache', async function () {
    await run(async (ctx) => {
      const { w } = ctx;
      const request = gcpRequest(w, { kind: 'now' });
      const handle = await start(ctx, request);
      await vote(handle, 'rotate', approvers[0]!);
      const status = (await handle.result()) as RunStatus<RotateKeyRequest>;
      await recordForReplay(handle, 'rotateKey-rotated-now-gcp');
      assert.equal(status.endState, 'rotated', status.endReason);

      // Read back from Cloud KMS: version 2 is primary, version 1 still enabled for the old data.
      const [key] = await w.gcp.kms.getCryptoKey({ name: w.keyName });
      assert.equal(key.primary?.name, `${w.keyName}/cryptoKeyVersions/2`);
      assert.equal(String(key.primary?.state), 'ENABLED');
      assert.deepEqual(await versionsOf(w), { '1': 'ENABLED', '2': 'ENABLED' }, 'exactly one new version');
      assert.match(
        status.plan!.changes[0]!,
        /create a new version and make it primary \(now primary: version 1 ENABLED/,
      );
      assert.match(status.rotation!.change!.description, /version 2 is primary, replacing 1/);
      const afterState = status.rotation!.change!.after;
      assert.ok('gcp' in afterState, 'a Cloud KMS rotation records the Cloud KMS state');
      assert.equal(afterState.gcp.primaryVersion, key.primary?.name);

      const after = status.rotation!.accessAfter!;
      assert.equal(after.validate?.outcome, 'success');
      assert.deepEqual(
        after.probes.flatMap((r) => r.probes.map((p) => p.outcome)),
        Array(6).fill('readable'),
      );
      // The twin's cache (2 s) had expired: it asked Cloud KMS again after the rotation, which decrypted
      // the old data keys (sealed under version 1) — and new data went under version 2.
      const rotatedAt = Date.parse(status.steps.find((s) => s.step === 'rotate')!.endedAt!);
      const since = (e: { timestamp: string }) => Date.parse(e.timestamp) > rotatedAt + ttlSeconds * 1000;
      const entries = w.gcp.fake
        .auditEntries()
        .filter((e) => e.protoPayload.resourceName?.startsWith(w.keyName));
      const decrypts = entries.filter(
        (e) => e.protoPayload.methodName.endsWith('Decrypt') && !e.protoPayload.status?.code && since(e),
      );
      assert.ok(decrypts.length >= 1, 'old data was decrypted by Cloud KMS after the rotation and the TTL');
      const encrypts = entries.filter((e) => e.protoPayload.methodName.endsWith('Encrypt') && since(e));
      assert.ok(encrypts.length >= 1, 'OpenAI encrypted after the rotation (validate)');
      for (const e of encrypts)
        assert.match(JSON.stringify(e.protoPayload.response ?? {}), /cryptoKeyVersions\/2/);

      const folder = path.join(ctx.config.evidence.directory, folderFor(keyWorkflowId(request.keyName)));
      const [runDir] = fs.readdirSync(folder);
      assertEvidence(path.join(folder, runDir!));
      const markdown = fs.readFileSync(path.join(folder, runDir!, 'evidence.md'), 'utf8');
      assert.match(markdown, /# EKM key rotation — projects\//);
      assert.match(markdown, /Change: Cloud KMS CreateCryptoKeyVersion and UpdateCryptoKeyPrimaryVersion/);
      assert.match(markdown, /OpenAI after the cache wait: validate \*\*success\*\*/);
    });
  });

  it('automatic rotation behind the rotate gate: approved, the key rotates every 30 days from a month on', async function () {
    await run(async (ctx) => {
      const { w } = ctx;
      const handle = await start(ctx, gcpRequest(w, { kind: 'automatic', periodDays: 30 }));
      const gate = await waitForGate(handle, 'rotate');
      assert.match(
        (await handle.query(statusQuery)).plan!.changes[0]!,
        /set rotation period every 30 days \(2592000 s\), next rotation 30 days after the change \(now: off\)/,
      );
      const [untouched] = await w.gcp.kms.getCryptoKey({ name: w.keyName });
      assert.equal(untouched.rotationPeriod ?? null, null, 'nothing changed before the approval');
      assert.ok(gate.planHash);

      await vote(handle, 'rotate', approvers[0]!);
      const approvedAt = Date.now();
      const done = (await handle.result()) as RunStatus<RotateKeyRequest>;
      assert.equal(done.endState, 'rotated', done.endReason);
      const [key] = await w.gcp.kms.getCryptoKey({ name: w.keyName });
      assert.equal(Number(key.rotationPeriod?.seconds), 30 * day);
      const next = Number(key.nextRotationTime?.seconds) * 1000;
      assert.ok(Math.abs(next - (approvedAt + 30 * day * 1000)) < 120_000, `next rotation ${next}`);
      assert.deepEqual(await versionsOf(w), { '1': 'ENABLED' }, 'no version made now');
      assert.equal(done.rotation!.change!.after.periodDays, 30);
      assert.equal(done.rotation!.accessAfter!.validate?.outcome, 'success');
    });
  });

  it('access lost during the run (OpenAI’s binding removed in the cache wait): RotationBrokeAccess and an alert', async function () {
    const hook = await startWebhook();
    try {
      const w = (world = await startGcpRevocationWorld(ttlSeconds));
      const worker = w.worker({ revoke: { cacheWaitSeconds: 6 } });
      worker.config!.notifications = { webhookUrl: hook.url };
      await withWorker(
        await devEnvironment(),
        async (ctx) => {
          const handle = await start(ctx, gcpRequest(w, { kind: 'now' }));
          await vote(handle, 'rotate', approvers[0]!);
          for (;;) {
            const s = await handle.query(statusQuery).catch(() => undefined);
            if (s?.stage === 'cache-wait') break;
            await new Promise((r) => setTimeout(r, 200));
          }
          const [policy] = await w.gcp.iam.getIamPolicy({ resource: w.keyName });
          await w.gcp.iam.setIamPolicy({
            resource: w.keyName,
            policy: {
              bindings: (policy.bindings ?? []).filter((b) => !b.members?.includes(w.principal)),
              etag: policy.etag,
            },
          });
          await assert.rejects(handle.result(), (err: WorkflowFailedError) => {
            assert.match(
              rootCause(err),
              /the rotation of projects\/.* changed OpenAI's access .* validate .* answered revoked/,
            );
            return true;
          });
          assert.equal((await handle.query(statusQuery)).endState, 'rotation-broke-access');
          await recordForReplay(handle, 'rotateKey-broke-access-gcp');
          const alert = await hook.waitFor('escalation');
          assert.match(alert.message, /A rotation must never revoke/);
        },
        worker,
      );
    } finally {
      await hook.close();
    }
  });

  it('a key whose primary version is disabled is refused at the preflight; nothing changes', async function () {
    await run(async (ctx) => {
      const { w } = ctx;
      await w.gcp.kms.updateCryptoKeyVersion({
        cryptoKeyVersion: { name: `${w.keyName}/cryptoKeyVersions/1`, state: 'DISABLED' },
        updateMask: { paths: ['state'] },
      });
      const handle = await start(ctx, gcpRequest(w, { kind: 'now' }));
      await assert.rejects(handle.result(), (err: WorkflowFailedError) => {
        assert.match(rootCause(err), /primary version is 1 DISABLED; OpenAI cannot use the key now/);
        return true;
      });
      assert.equal((await handle.query(statusQuery)).endState, 'refused');
      assert.deepEqual(await versionsOf(w), { '1': 'DISABLED' });
    });
  });

  it('through the `ekm` binary: --key-name/--principal --now, and the other cloud’s flags refused (exit 2)', async function () {
    const env = {
      TEMPORAL_ADDRESS: (await devServer()).address,
      TEMPORAL_NAMESPACE: 'default',
      EKM_USER: requester,
    };
    await run(async (ctx) => {
      const { w } = ctx;
      const gcpKey = ['--key-name', w.keyName, '--principal', w.principal];
      const why = [
        ...['--external-key', w.externalKeyId],
        ...w.probes.flatMap((p) => ['--probe', `${p.projectId}:${p.kind}:${p.id}`]),
        ...['--reason', 'yearly rotation', '--ticket', 'CHG-5152', '--task-queue', ctx.taskQueue],
      ];
      const refused: [string[], RegExp][] = [
        [[...gcpKey, '--role', 'arn:aws:iam::111122223333:role/x', '--now'], /--role: is AWS's/],
        [
          ['--key', 'alias/ekm-demo', '--principal', w.principal, '--now'],
          /--principal: is Google Cloud's \(with --key-name\)/,
        ],
        [[...gcpKey, '--key', 'alias/ekm-demo', '--now'], /--key \/ --key-name: give exactly one/],
        [[...gcpKey, '--period', '0d'], /--now \/ --period: must be at least 1 day \(Cloud KMS/],
        [
          ['--key-name', 'ekm-key', '--principal', w.principal, '--now'],
          /--key-name: is not a Cloud KMS key name/,
        ],
      ];
      for (const [flags, expected] of refused) {
        const out = await runCli(['rotate', ...flags, ...why], env);
        assert.equal(out.code, 2, `${flags.join(' ')}\n${out.stderr}`);
        assert.match(out.stderr, expected);
      }
      assert.deepEqual(await versionsOf(w), { '1': 'ENABLED' }, 'nothing was started');

      const started = await runCli(['rotate', ...gcpKey, '--now', ...why, '--json'], env);
      assert.equal(started.code, 0, started.stderr);
      const { workflowId, keyName } = JSON.parse(started.stdout) as { workflowId: string; keyName: string };
      assert.equal(workflowId, keyWorkflowId(w.keyName));
      assert.equal(keyName, w.keyName);
      const handle = ctx.client.workflow.getHandle(workflowId);
      await vote(handle, 'rotate', approvers[0]!);
      const status = (await handle.result()) as RunStatus<RotateKeyRequest>;
      assert.equal(status.endState, 'rotated', status.endReason);
      const human = await runCli(['status', workflowId], env);
      assert.match(human.stdout, /rotate now on projects\//);
      const [key] = await w.gcp.kms.getCryptoKey({ name: w.keyName });
      assert.equal(key.primary?.name, `${w.keyName}/cryptoKeyVersions/2`);
    });
  });
});

function rootCause(err: unknown): string {
  let e = err as { cause?: unknown; message?: string };
  while (e.cause) e = e.cause as typeof e;
  return e.message ?? '';
}
