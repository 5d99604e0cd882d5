// What a Google Cloud revocation refuses before anyone is asked to approve it, run as revokeKey on the dev
// server against the Cloud KMS fake and the OpenAI twin (a sandbox worker configured with `gcp`).
//
// The plan (activities/planRevocation.ts) refuses:
//   - remove-binding when the key ring grants OpenAI's principal too (itself, or a member taking it in such
//     as its workload identity pool): taking it off the key would not revoke — MethodNotApplicable;
//   - remove-binding when the key lets the principal in through another member (its pool, allUsers):
//     removing the principal itself would not revoke — MethodNotApplicable;
//   - any method when a project on the key is not named in the request (it would lose access unannounced).
// Preflight (common/preflightChecks.ts) refuses, for Google Cloud keys:
//   - a principal no binding on the key or its ring takes in (nothing of OpenAI's to remove);
//   - a key whose primary version is not enabled (OpenAI already cannot encrypt: nothing to revoke);
//   - an external key registered for another Cloud KMS key.
// Each run ends `refused` with the reason, opens no gate, and leaves the key's and the ring's IAM policies
// (etags) and the key's versions exactly as they were.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { EkmError } from '../../common/errors';
import { keyWorkflowId, planWorkflowId } from '../../common/workflowIds';
import { type GcpRevokeKeyInput } from '../../providers/gcp/request';
import type { RunStatus } from '../../providers/runStatus';
import { statusQuery } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import {
  gcpRevocation,
  startGcpRevocationWorld,
  waitForStatus,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { call, gcpWorkloadIdentity, openAiEkmRole } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const encrypterDecrypter = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';

const ringOf = (keyName: string) => keyName.replace(/\/cryptoKeys\/[^/]+$/, '');

/** Every identity of OpenAI's workload identity pool: principalSet://…/workloadIdentityPools/POOL/*. */
const poolOf = (principal: string) =>
  principal.replace(/^principal:\/\//, 'principalSet://').replace(/\/subject\/[^/]+$/, '/*');

async function grant(w: GcpRevocationWorld, resource: string, role: string, member: string): Promise<void> {
  const [policy] = await w.gcp.iam.getIamPolicy({ resource });
  await w.gcp.iam.setIamPolicy({
    resource,
    policy: { bindings: [...(policy.bindings ?? []), { role, members: [member] }], etag: policy.etag },
  });
}

/** What a revocation could change on the fake: both IAM policies (by etag and bindings), versions, rotation. */
async function fakeState(w: GcpRevocationWorld) {
  const policy = async (resource: string) => {
    const [p] = await w.gcp.iam.getIamPolicy({ resource });
    return {
      etag: Buffer.from(p.etag as Uint8Array).toString('hex'),
      bindings: (p.bindings ?? []).map((b) => ({ role: b.role, members: [...(b.members ?? [])] })),
    };
  };
  const [key] = await w.gcp.kms.getCryptoKey({ name: w.keyName });
  const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
  return {
    key: await policy(w.keyName),
    ring: await policy(ringOf(w.keyName)),
    primary: key.primary?.name,
    rotationPeriod: key.rotationPeriod?.seconds?.toString() ?? null,
    versions: versions.map((v) => [v.name, v.state]),
  };
}

interface Refusal {
  type: string;
  message: string;
  status: RunStatus;
}

describe('Google Cloud revocations refused at plan time (revokeKey against the Cloud KMS fake)', function () {
  let world: GcpRevocationWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  /**
   * Runs revokeKey — plan only, or a real start — on a sandbox worker of this world, and returns how it
   * was refused; asserts that it was, that no gate opened, and that nothing changed on the fake.
   */
  async function refused(
    w: GcpRevocationWorld,
    request: GcpRevokeKeyInput,
    how: { planOnly: boolean },
  ): Promise<Refusal> {
    const before = await fakeState(w);
    const validateBefore = await validateStatus(w);
    const refusal = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: how.planOnly
            ? planWorkflowId(request.keyName, randomUUID())
            : keyWorkflowId(request.keyName),
          args: [{ ...request, planOnly: how.planOnly }],
        });
        // A run that is not refused opens the revoke gate and waits: fail then, rather than wait with it.
        const first = await waitForStatus(handle, (st) => !!st.endState || !!st.openGate, 'a refusal');
        if (!first.endState) {
          await handle.terminate('test: the run was not refused');
          assert.fail(`the run was not refused: it opened the ${first.openGate!.kind} gate`);
        }
        const err = await handle.result().then(
          (status) =>
            assert.fail(`the run was not refused: it ended ${status.endState} (${status.endReason})`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof WorkflowFailedError, String(err));
        const failure = rootFailure(err);
        const status = (await handle.query(statusQuery)) as RunStatus;
        return { type: failure.type ?? '', message: failure.message, status };
      },
      w.worker(),
    );
    assert.equal(refusal.status.endState, 'refused', refusal.status.endReason);
    assert.ok(refusal.status.endReason?.includes(refusal.message), refusal.status.endReason);
    assert.deepEqual(refusal.status.gates, [], 'nobody was asked to approve');
    assert.notEqual(refusal.status.steps.find((s) => s.step === 'revoke')?.state, 'done');
    assert.deepEqual(await fakeState(w), before, 'nothing changed on the key, its ring or its versions');
    assert.equal(await validateStatus(w), validateBefore, 'OpenAI’s access is as it was');
    return refusal;
  }

  it('remove-binding, started for real, when the key ring grants OpenAI’s principal too: refused before the gate', async function () {
    const w = (world = await startGcpRevocationWorld(60));
    await grant(w, ringOf(w.keyName), encrypterDecrypter, w.principal);
    const request = gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput;

    const r = await refused(w, request, { planOnly: false });
    assert.equal(r.type, EkmError.MethodNotApplicable);
    assert.match(r.message, /^method: remove-binding cannot revoke /);
    assert.ok(
      r.message.includes(
        `the key ring ${ringOf(w.keyName)} grants it ${encrypterDecrypter} (as ${w.principal}) too, for every key on the ring`,
      ),
      r.message,
    );
    assert.match(r.message, /use disable-versions/);

    // The refusal is the method's, not the key's: disable-versions, which the ring cannot undo, plans.
    const planned = await withWorker(
      await devEnvironment(),
      ({ client, taskQueue }) =>
        client.workflow.execute(revokeKey, {
          taskQueue,
          workflowId: planWorkflowId(w.keyName, randomUUID()),
          args: [{ ...gcpRevocation.request(w, 'disable-versions'), planOnly: true }],
        }),
      w.worker(),
    );
    assert.equal(planned.endState, 'planned', planned.endReason);
    assert.ok(
      planned.plan?.changes.some((c) => c.includes('disable 1')),
      planned.plan?.changes.join('\n'),
    );
  });

  it('remove-binding when the key ring grants OpenAI’s workload identity pool (principalSet)', async function () {
    const w = (world = await startGcpRevocationWorld(60));
    const pool = poolOf(w.principal);
    await grant(w, ringOf(w.keyName), openAiEkmRole, pool);

    const r = await refused(w, gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput, {
      planOnly: true,
    });
    assert.equal(r.type, EkmError.MethodNotApplicable);
    assert.ok(r.message.includes(`grants it ${openAiEkmRole} (as ${pool}) too`), r.message);
  });

  it('remove-binding when the key also lets the principal in through its pool', async function () {
    const w = (world = await startGcpRevocationWorld(60));
    const pool = poolOf(w.principal);
    await grant(w, w.keyName, openAiEkmRole, pool);

    const r = await refused(w, gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput, {
      planOnly: true,
    });
    assert.equal(r.type, EkmError.MethodNotApplicable);
    assert.ok(
      r.message.includes(
        `remove-binding removes ${w.principal} itself, but the key also lets it in through ${pool} in ${openAiEkmRole}`,
      ),
      r.message,
    );
    assert.match(r.message, /narrow those bindings by hand, or use disable-versions/);
  });

  it('remove-binding when the key grants allUsers a use role', async function () {
    const w = (world = await startGcpRevocationWorld(60));
    await grant(w, w.keyName, 'roles/cloudkms.cryptoKeyDecrypter', 'allUsers');

    const r = await refused(w, gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput, {
      planOnly: true,
    });
    assert.equal(r.type, EkmError.MethodNotApplicable);
    assert.ok(
      r.message.includes('the key also lets it in through allUsers in roles/cloudkms.cryptoKeyDecrypter'),
      r.message,
    );
  });

  for (const method of gcpRevocation.methods)
    it(`${method} when a project on the key is not named in the request`, async function () {
      const w = (world = await startGcpRevocationWorld(60));
      const [named, unnamed] = w.projects as [(typeof w.projects)[0], (typeof w.projects)[0]];
      const all = gcpRevocation.request(w, method) as GcpRevokeKeyInput;
      const request: GcpRevokeKeyInput = {
        ...all,
        projectIds: [named.id],
        probes: all.probes!.filter((p) => p.projectId === named.id),
      };

      const r = await refused(w, request, { planOnly: true });
      assert.equal(r.type, EkmError.PreflightFailed);
      assert.match(
        r.message,
        new RegExp(
          `^projectIds: ${unnamed.id} \\(\\S+\\) also use this key and would lose access too; add them to the run`,
        ),
      );
    });

  it('a principal no binding on the key or its ring takes in (preflight)', async function () {
    const w = (world = await startGcpRevocationWorld(60));
    const stranger = w.principal.replace(/\/subject\/[^/]+$/, '/subject/someone-else');
    const request = {
      ...(gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput),
      principal: stranger,
    };

    const r = await refused(w, request, { planOnly: false });
    assert.equal(r.type, EkmError.PreflightFailed);
    assert.match(r.message, /^preflight refused the run, nothing was changed: /);
    assert.ok(
      r.message.includes(`principal: no binding on ${w.keyName} or its key ring takes in ${stranger}`),
      r.message,
    );
  });

  it('a key whose primary version is disabled: nothing to revoke (preflight)', async function () {
    const w = (world = await startGcpRevocationWorld(60));
    await w.gcp.kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: `${w.keyName}/cryptoKeyVersions/1`, state: 'DISABLED' },
      updateMask: { paths: ['state'] },
    });

    const r = await refused(w, gcpRevocation.request(w, 'disable-versions') as GcpRevokeKeyInput, {
      planOnly: true,
    });
    assert.equal(r.type, EkmError.PreflightFailed);
    assert.match(r.message, /keyName: the key's primary version is DISABLED: .*there is nothing to revoke/);
  });

  it('an external key registered for another Cloud KMS key (preflight)', async function () {
    const w = (world = await startGcpRevocationWorld(60));
    const other = await registerAnotherKey(w);

    const request = {
      ...(gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput),
      externalKeyId: other.externalKeyId,
    };
    const r = await refused(w, request, { planOnly: true });
    assert.equal(r.type, EkmError.PreflightFailed);
    // It names the registration and the key it is registered for.
    assert.match(
      r.message,
      new RegExp(
        `externalKeyId: ${other.externalKeyId} is registered for ${escape(other.keyName)}, not for ${escape(w.keyName)}`,
      ),
    );
  });
});

/** The ApplicationFailure at the bottom of a workflow failure (the workflow's own, or an activity's). */
function rootFailure(err: WorkflowFailedError): ApplicationFailure {
  let cause: unknown = err.cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as { cause?: unknown }).cause;
  assert.ok(cause instanceof ApplicationFailure, `no ApplicationFailure under ${String(err)}`);
  return cause;
}

async function validateStatus(w: GcpRevocationWorld): Promise<number> {
  return (
    await call(w.twin.url, 'POST', `/v1/organization/external_keys/${w.externalKeyId}/validate`, w.adminKey)
  ).status;
}

/** A second Cloud KMS key OpenAI uses, registered with the twin as the world's key is. */
async function registerAnotherKey(
  w: GcpRevocationWorld,
): Promise<{ keyName: string; externalKeyId: string }> {
  const { key: keyName } = await w.gcp.newKey({ ring: `ring-other-${randomUUID().slice(0, 8)}` });
  await grant(w, keyName, openAiEkmRole, w.principal);
  const [, project, , location, , ring, , key] = keyName.split('/');
  const answer = await call(w.twin.url, 'POST', '/v1/organization/external_keys', w.adminKey, {
    type: 'gcp',
    name: `gcp-ekm-${ring}`,
    workload_identity_project_number: gcpWorkloadIdentity.projectNumber,
    workload_identity_pool_id: gcpWorkloadIdentity.poolId,
    workload_identity_provider_id: gcpWorkloadIdentity.providerId,
    audience: w.twin.store.data.orgId,
    kms_project_id: project,
    kms_key_ring_name: ring,
    kms_key_location: location,
    kms_key_name: key,
  });
  assert.ok(answer.status < 300, JSON.stringify(answer.body));
  return { keyName, externalKeyId: (answer.body as { id: string }).id };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
