// What keeps a revocation honest when people and services misbehave, for a Google Cloud KMS key: the rows
// of revokeKeyGuards.test.ts (AWS) that are the runbook's rather than the cloud's, each on the dev server
// with the Cloud KMS fake and the OpenAI twin, and each checked where a user would look — the key's IAM
// policy and version states read through the real @google-cloud/kms client, OpenAI's validate, the
// twin's projects — never by which function ran.
//
// How the AWS rows' cloud-side moves translate:
// - drift after the approval: another member is given use of the key in its IAM policy (AWS: the role
//   gains a policy);
// - a use only the audit trail saw: version 1 is re-enabled, OpenAI decrypts with a cold cache, and the
//   version is disabled again during the cache wait — Cloud Logging's Data Access log keeps the Decrypt;
// - the trail unreadable: the worker's Google Cloud clients share one endpoint (Cloud KMS, IAM and Cloud
//   Logging are one gRPC server in the sandbox and one `gcp.endpoint` in the worker's settings), so no
//   closed port can fail Cloud Logging alone. A gRPC proxy of this file's own sits in front of the fake
//   and refuses only LoggingServiceV2 with PERMISSION_DENIED — what a worker whose service account lacks
//   roles/logging.privateLogViewer (Data Access entries need it; the KMS roles do not give it) gets,
//   while every Cloud KMS and IAM call passes. (UNAVAILABLE would be the closer twin of AWS's closed port,
//   but google-gax retries it for a minute per read before the run sees it.)
// - creates whose answers are lost: the same proxy lets CreateCryptoKey and the replacement key's
//   SetIamPolicy through to the fake and then answers INTERNAL (AWS: the twin's apply-then-500, which
//   this row uses too for OpenAI's external key and projects).
// No replay histories are recorded here: the AWS rows keep theirs, and GCP histories of the whole
// runbook are recorded by revokeKey.test.ts and restoreGcp.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { keyWorkflowId } from '../../common/workflowIds';
import { type GcpRevocationMethod, type GcpRevokeKeyInput } from '../../providers/gcp/request';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { watchWorkflowId } from '../../common/watchdog';
import { voteSignal, voteUpdate, statusQuery } from '../../workflows/revoke/messages';
import { restoreAccess } from '../../workflows/restoreAccess';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  attest,
  gcpRevocation,
  requester,
  startGcpRevocationWorld,
  vote,
  waitForGate,
  waitForStatus,
  waitForTask,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { call } from '../fixtures/twin';
import { startGrpcProxy, type GrpcFault, type GrpcProxy } from '../fixtures/grpcProxy';
import { withWorker, type WorkerContext } from '../fixtures/worker';
import { runTag } from '../../workflows/revoke/provision';

const encrypterDecrypter = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';

async function validateStatus(w: GcpRevocationWorld, id = w.externalKeyId): Promise<number> {
  return (await call(w.twin.url, 'POST', `/v1/organization/external_keys/${id}/validate`, w.adminKey)).status;
}

/** OpenAI reads the first project's old batch output (200: it opened the data key through Cloud KMS). */
async function openAiReadsOldFile(w: GcpRevocationWorld, options: { coldCache?: boolean } = {}) {
  if (options.coldCache) {
    const cleared = await call(w.twin.url, 'POST', '/_twin/cache/clear', w.adminKey);
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
  }
  const [project] = w.projects;
  return (await call(w.twin.url, 'GET', `/v1/files/${project!.fileId}/content`, project!.apiKey)).status;
}

/** How often OpenAI's principal is a member of the key's IAM policy, read through the real client. */
async function openAiMemberships(w: GcpRevocationWorld, keyName = w.keyName): Promise<number> {
  const [policy] = await w.gcp.iam.getIamPolicy({ resource: keyName });
  return (policy.bindings ?? []).flatMap((b) => b.members ?? []).filter((m) => m === w.principal).length;
}

/** Everything a revocation could change on the key: its IAM policy (etag included) and its versions. */
async function keyState(w: GcpRevocationWorld) {
  const [policy] = await w.gcp.iam.getIamPolicy({ resource: w.keyName });
  const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
  return {
    etag: Buffer.from(policy.etag ?? []).toString('base64'),
    bindings: (policy.bindings ?? []).map((b) => `${b.role}:${[...(b.members ?? [])].sort().join(',')}`),
    versions: Object.fromEntries(versions.map((v) => [v.name!.split('/').pop()!, String(v.state)])),
  };
}

async function versionStates(w: GcpRevocationWorld): Promise<string[]> {
  return Object.values((await keyState(w)).versions);
}

async function setVersion1(w: GcpRevocationWorld, state: 'ENABLED' | 'DISABLED') {
  await w.gcp.kms.updateCryptoKeyVersion({
    cryptoKeyVersion: { name: `${w.keyName}/cryptoKeyVersions/1`, state },
    updateMask: { paths: ['state'] },
  });
}

async function projectStatus(w: GcpRevocationWorld, id: string): Promise<string> {
  const p = await call(w.twin.url, 'GET', `/v1/organization/projects/${id}`, w.adminKey);
  return (p.body as { status: string }).status;
}

/** Settles a run and reads its final status (cancelled and failed runs keep answering the query). */
async function ended(handle: WorkflowHandle): Promise<RunStatus<RunSubject>> {
  await handle.result().catch(() => undefined);
  return (await handle.query(statusQuery)) as unknown as RunStatus<RunSubject>;
}

// --- Faults on the worker's way to the Cloud KMS fake (test/fixtures/grpcProxy.ts) ------------------------

/** A fault on calls by path: refuse them outright, or let the fake act and then lose the answer. */
interface ProxyFault extends GrpcFault {
  /** The full gRPC method path, or a service prefix (`/google.logging.v2.LoggingServiceV2/`). */
  path: string;
  /** Only requests this accepts (decoded with the real protos); default: every one. */
  when?: (request: Record<string, unknown>) => boolean;
  /** How many calls it hits; default: every one. */
  count?: number;
}

interface FaultProxy extends GrpcProxy {
  /** How many calls each fault (by its path) has hit so far. */
  hits(path: string): number;
}

/** The worker's calls through a proxy that applies the first matching fault (within its count). */
async function startFaultProxy(target: string, faults: ProxyFault[]): Promise<FaultProxy> {
  const hits = new Map<ProxyFault, number>();
  const proxy = await startGrpcProxy(target, {
    intercept(path, request) {
      const fault = faults.find(
        (f) =>
          path.startsWith(f.path) &&
          (f.count === undefined || (hits.get(f) ?? 0) < f.count) &&
          (!f.when || f.when(request)),
      );
      if (fault) hits.set(fault, (hits.get(fault) ?? 0) + 1);
      return fault;
    },
  });
  return {
    ...proxy,
    hits: (path) => [...hits].filter(([f]) => f.path === path).reduce((n, [, c]) => n + c, 0),
  };
}

const kmsService = '/google.cloud.kms.v1.KeyManagementService/';
const setIamPolicy = '/google.iam.v1.IAMPolicy/SetIamPolicy';
const loggingService = '/google.logging.v2.LoggingServiceV2/';

describe('revokeKey guards (gcp)', function () {
  let world: GcpRevocationWorld | undefined;
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await world?.close();
    world = undefined;
  });

  async function run<T>(
    method: GcpRevocationMethod,
    body: (
      ctx: WorkerContext & {
        w: GcpRevocationWorld;
        request: GcpRevokeKeyInput;
        handle: WorkflowHandle;
      },
    ) => Promise<T>,
    options: {
      ttlSeconds?: number;
      revoke?: object;
      request?: Partial<GcpRevokeKeyInput>;
      /** The worker's Google Cloud calls go through a proxy with these faults (the twin's do not). */
      faults?: (w: GcpRevocationWorld) => ProxyFault[];
    } = {},
  ): Promise<T> {
    const w = (world = await startGcpRevocationWorld(options.ttlSeconds ?? 2));
    const request = { ...(gcpRevocation.request(w, method) as GcpRevokeKeyInput), ...options.request };
    const worker = w.worker({ revoke: options.revoke });
    if (options.faults) {
      proxy = await startFaultProxy(w.gcp.fake.address, options.faults(w));
      worker.config = { ...worker.config, gcp: { ...worker.config!.gcp!, endpoint: proxy.address } };
    }
    return withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyName),
          args: [request],
        });
        return body({ ...ctx, w, request, handle });
      },
      worker,
    );
  }

  it('refuses the requester, an unknown approver and an old plan; drift after approval opens a new gate', async function () {
    await run('remove-binding', async ({ w, handle }) => {
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
      await handle.signal(voteSignal, { ...base, approver: 'mallory@example.com' } as never);
      await waitForStatus(handle, (s) => s.refusedVoteCount === 1, 'the refused signal');

      // The world moves between the plan and the vote: a batch job's service account is given use of the key.
      const [policy] = await w.gcp.iam.getIamPolicy({ resource: w.keyName });
      await w.gcp.iam.setIamPolicy({
        resource: w.keyName,
        policy: {
          bindings: [
            ...(policy.bindings ?? []),
            { role: encrypterDecrypter, members: ['serviceAccount:batch@customer.iam.gserviceaccount.com'] },
          ],
          etag: policy.etag,
        },
      });
      await handle.executeUpdate(voteUpdate, { args: [{ ...base, approver: approvers[0]! } as never] });
      const second = await waitForStatus(
        handle,
        (s) => s.openGate?.kind === 'revoke' && s.openGate.gateId !== gate.gateId,
        'a new revoke gate',
      );
      assert.notEqual(second.openGate!.planHash, gate.planHash);
      // The approval of the old plan does not carry over, and nothing was revoked meanwhile.
      await refused({ ...base, approver: approvers[1] }, /not the open gate/);
      assert.equal(await openAiMemberships(w), 1, 'OpenAI’s binding is still there');
      assert.equal(await validateStatus(w), 200);
      await vote(handle, 'revoke', approvers[1]!, 'reject');
      const status = await ended(handle);
      assert.equal(status.endState, 'rejected');
      assert.equal(status.gates.length, 2);
      assert.equal(status.refusedVotes[0]?.approver, 'mallory@example.com');
      assert.equal(await openAiMemberships(w), 1, 'a rejected run removes nothing');
    });
  });

  it('with its own admin key refused after the revoke, the run never reports revocation', async function () {
    await run(
      'disable-versions',
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
        // Stopping is not undoing: the key's versions stay disabled.
        assert.deepEqual(await versionStates(w), ['DISABLED']);
      },
      { revoke: { validateWindowSeconds: 3 } },
    );
  });

  it('with validate answering 503, the run never reports revocation', async function () {
    await run(
      'remove-binding',
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
        const validate = status.steps.find((s) => s.step === 'validate')!;
        assert.equal(validate.state, 'failed');
        const outcomes = (validate.data as { outcome: string }[]).map((a) => a.outcome);
        assert.equal(outcomes.at(-1), 'unknown');
        assert.ok(outcomes.filter((o) => o === 'revoked').length < 2, outcomes.join(','));
        assert.equal(await openAiMemberships(w), 0, 'the binding stays removed');
      },
      { revoke: { validateWindowSeconds: 3 } },
    );
  });

  it('data still readable after the wait (a cache longer than the wait) stops at a person', async function () {
    await run(
      'remove-binding',
      async ({ w, handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await waitForTask(handle, 'probe-escalation');
        // What the probes saw: the twin still opens the old data from its cache, though the binding is gone.
        assert.equal(await openAiMemberships(w), 0);
        assert.equal(await openAiReadsOldFile(w), 200);
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
      'disable-versions',
      async ({ w, handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
        // Someone re-enables the version, OpenAI reads an old object with it, and the version is disabled
        // again before the run probes: validate and the probes see a revoked key; only the trail saw the use.
        assert.deepEqual(await versionStates(w), ['DISABLED']);
        await setVersion1(w, 'ENABLED');
        assert.equal(
          await openAiReadsOldFile(w, { coldCache: true }),
          200,
          'the re-enabled version let OpenAI decrypt',
        );
        await setVersion1(w, 'DISABLED');

        const status = await ended(handle);
        assert.equal(status.endState, 'revoked-unverified', status.endReason);
        assert.match(status.endReason!, /Cloud Logging lists successful Decrypt by principal:\/\//);
        assert.equal(status.steps.find((s) => s.step === 'probes')?.state, 'done');
        assert.equal(status.steps.find((s) => s.step === 'trail')?.state, 'failed');
        assert.equal(status.usage?.after?.lateUses.length, 1);
        assert.equal(status.steps.find((s) => s.step === 'archive')?.state, 'pending');
        for (const project of w.projects)
          assert.equal(await projectStatus(w, project.id), 'active', 'nothing archived');
        assert.deepEqual(await versionStates(w), ['DISABLED']);
      },
      { revoke: { cacheWaitSeconds: 10 } },
    );
  });

  it('with Cloud Logging unreadable (Cloud KMS working) the revocation goes on, and the record says the trail could not be read', async function () {
    await run(
      'remove-binding',
      async ({ w, handle }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await vote(handle, 'archive', approvers[1]!);
        const status = (await handle.result()) as RunStatus;
        assert.equal(status.endState, 'completed', status.endReason);
        assert.match(String(status.usage?.before?.error), /privateLogEntries/, 'the look-back was refused');
        assert.match(String(status.usage?.after?.error), /privateLogEntries/, 'and the check after the wait');
        assert.equal(status.steps.find((s) => s.step === 'trail')?.state, 'skipped');
        assert.ok(proxy!.hits(loggingService) >= 2, 'the worker asked Cloud Logging, and was refused');
        // The revocation itself went through the same endpoint, and holds.
        assert.equal(await openAiMemberships(w), 0);
        assert.equal(await validateStatus(w), 400);
        for (const project of w.projects) assert.equal(await projectStatus(w, project.id), 'archived');
      },
      {
        faults: () => [
          {
            path: loggingService,
            kind: 'refuse',
            code: grpc.status.PERMISSION_DENIED,
            details: "Permission 'logging.privateLogEntries.list' denied on resource (or it may not exist).",
          },
        ],
      },
    );
  });

  it('creates whose answers are lost (apply-then-fail) end with exactly one of each new thing', async function () {
    const ringOf = (keyName: string) => keyName.split('/cryptoKeys/')[0]!;
    await run(
      'remove-binding',
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
        // Every answer armed to be lost was: both Cloud KMS ones, and both of OpenAI's (the twin's rules are used up).
        assert.equal(proxy!.hits(`${kmsService}CreateCryptoKey`), 1);
        assert.equal(proxy!.hits(setIamPolicy), 1);
        const armed = await call(w.twin.url, 'GET', '/_twin/faults', w.adminKey);
        assert.deepEqual((armed.body as { data: unknown[] }).data, []);
        const suffix = runTag(status.runId);
        const replacement = status.replacement as { keyName?: string; externalKeyId?: string };

        // One replacement key in the ring, the run's; OpenAI's principal bound on it once.
        const [keys] = await w.gcp.kms.listCryptoKeys({ parent: ringOf(w.keyName) });
        const made = keys.filter((k) => k.name!.endsWith(`-${suffix}`)).map((k) => k.name);
        assert.deepEqual(made, [replacement.keyName]);
        assert.equal(await openAiMemberships(w, replacement.keyName), 1);

        // One external key and one project per archived one, at OpenAI.
        const external = w.twin.store.data.externalKeys.filter((k) => k.name === `ekm-${suffix}`);
        assert.equal(external.length, 1);
        assert.equal(external[0]!.id, replacement.externalKeyId);
        for (const old of w.projects) {
          const name = `${w.twin.store.data.projects.find((p) => p.id === old.id)!.name}-${suffix}-${old.id.slice(-6)}`;
          assert.equal(w.twin.store.data.projects.filter((p) => p.name === name).length, 1, name);
        }
        assert.equal(await validateStatus(w, external[0]!.id), 200);
      },
      {
        faults: (w) => [
          {
            path: `${kmsService}CreateCryptoKey`,
            kind: 'apply-then-fail',
            code: grpc.status.INTERNAL,
            details: 'the answer was lost after the key was made',
            count: 1,
          },
          {
            // The replacement's grant only: the revoke's own SetIamPolicy on the old key passes.
            path: setIamPolicy,
            kind: 'apply-then-fail',
            code: grpc.status.INTERNAL,
            details: 'the answer was lost after the policy was set',
            when: (r) =>
              r.resource !== w.keyName && String(r.resource).startsWith(`${ringOf(w.keyName)}/cryptoKeys/`),
            count: 1,
          },
        ],
      },
    );
  });

  it('cancelled at the first gate: ends cancelled, nothing changed', async function () {
    await run('disable-versions', async ({ w, handle }) => {
      const before = await keyState(w);
      await waitForGate(handle, 'revoke');
      await handle.cancel();
      const status = await ended(handle);
      assert.equal(status.endState, 'cancelled');
      assert.deepEqual(await keyState(w), before, 'IAM policy (etag included) and versions as they were');
      assert.deepEqual(before.versions, { '1': 'ENABLED' });
      assert.equal(await validateStatus(w), 200);
      await assert.rejects(handle.result(), WorkflowFailedError);
    });
  });

  it('cancelled during the cache wait: stops revoked, access stays revoked; `restore` (gated) gives it back', async function () {
    await run(
      'remove-binding',
      async ({ w, handle, client, taskQueue }) => {
        assert.equal(await openAiMemberships(w), 1);
        await vote(handle, 'revoke', approvers[0]!);
        await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
        await handle.cancel();
        const status = await ended(handle);
        assert.equal(status.endState, 'revoked-unverified');
        assert.equal(await openAiMemberships(w), 0, 'a cancel never gives access back');
        assert.equal(await validateStatus(w), 400);

        const restore = await client.workflow.start(restoreAccess, {
          taskQueue,
          workflowId: keyWorkflowId(w.keyName),
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
        assert.equal(await openAiMemberships(w), 1, 'the binding is back');
        assert.equal(await validateStatus(w), 200);
        assert.equal(await openAiReadsOldFile(w, { coldCache: true }), 200);
      },
      { revoke: { cacheWaitSeconds: 600 } },
    );
  });

  it('from the archive on, a cancel does not stop the run', async function () {
    await run(
      'remove-binding',
      async ({ w, handle, client }) => {
        await vote(handle, 'revoke', approvers[0]!);
        await vote(handle, 'archive', approvers[1]!);
        await waitForGate(handle, 'deletion');
        await handle.cancel();
        await vote(handle, 'deletion', approvers[0]!);
        const status = (await handle.result()) as RunStatus;
        // The watch the deletion starts outlives the run: this test ends it.
        await client.workflow
          .getHandle(watchWorkflowId(w.keyName))
          .terminate('test over')
          .catch(() => undefined);
        assert.equal(status.endState, 'completed', status.endReason);
        assert.deepEqual(await versionStates(w), ['DESTROY_SCHEDULED']);
        for (const project of w.projects) assert.equal(await projectStatus(w, project.id), 'archived');
      },
      // Cloud KMS keeps a version DESTROY_SCHEDULED for the key's duration, 30 days by default.
      { request: { deleteAfterDays: 30 } },
    );
  });
});
