// The Google Cloud KMS fake, driven only through the real @google-cloud/kms and @google-cloud/logging
// clients: it must enforce what the GCP revocation runbook relies on — IAM bindings, version states,
// destruction, rotation — and leave the audit entries verifyKeyUsage will read.
import assert from 'node:assert/strict';
import { decodeAuditLog } from '../../sandbox/gcp/kmsFake';
import { startGcpWorld, type GcpWorld } from '../fixtures/gcpKms';

const code = { invalidArgument: 3, notFound: 5, permissionDenied: 7, failedPrecondition: 9, aborted: 10 };
const app = 'serviceAccount:app@customer-project.iam.gserviceaccount.com';
const openai =
  'principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/openai-ekm/subject/105900137572174660365';
const encrypterDecrypter = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';
const day = 24 * 3600;

const data = Buffer.from('a data key OpenAI would wrap');
const aad = Buffer.from('org-abc/proj-xyz');

async function addBinding(w: GcpWorld, resource: string, role: string, member: string) {
  const [policy] = await w.iam.getIamPolicy({ resource });
  const bindings = [...(policy.bindings ?? []), { role, members: [member] }];
  await w.iam.setIamPolicy({ resource, policy: { bindings, etag: policy.etag } });
}

async function removeMember(w: GcpWorld, resource: string, member: string) {
  const [policy] = await w.iam.getIamPolicy({ resource });
  const bindings = (policy.bindings ?? [])
    .map((b) => ({ role: b.role, members: (b.members ?? []).filter((m) => m !== member) }))
    .filter((b) => b.members.length > 0);
  await w.iam.setIamPolicy({ resource, policy: { bindings, etag: policy.etag } });
}

const versionOf = (name: string | null | undefined) => Number(name?.split('/').pop());

describe('Google Cloud KMS fake', function () {
  let w: GcpWorld;
  beforeEach(async () => {
    w = await startGcpWorld({ projectId: 'customer-project' });
  });
  afterEach(async () => {
    await w.close();
  });

  it('encrypts and decrypts for a principal bound to encrypterDecrypter, and refuses a different AAD', async function () {
    const { key } = await w.newKey();
    await addBinding(w, key, encrypterDecrypter, app);

    const [sealed] = await w.kms.encrypt(
      { name: key, plaintext: data, additionalAuthenticatedData: aad },
      w.as(app),
    );
    assert.equal(sealed.name, `${key}/cryptoKeyVersions/1`);
    assert.ok(
      sealed.ciphertext && !Buffer.from(sealed.ciphertext).includes(data),
      'ciphertext hides the data',
    );
    const [opened] = await w.kms.decrypt(
      { name: key, ciphertext: sealed.ciphertext, additionalAuthenticatedData: aad },
      w.as(app),
    );
    assert.deepEqual(Buffer.from(opened.plaintext!), data);
    assert.equal(opened.usedPrimary, true);

    await assert.rejects(
      w.kms.decrypt(
        {
          name: key,
          ciphertext: sealed.ciphertext,
          additionalAuthenticatedData: Buffer.from('org-abc/other'),
        },
        w.as(app),
      ),
      { code: code.invalidArgument },
    );
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app)), {
      code: code.invalidArgument,
    });
  });

  it("grants OpenAI's workload-identity principal through a custom role on the key ring", async function () {
    w.fake.defineCustomRole('projects/customer-project/roles/openaiEkm', [
      'cloudkms.cryptoKeyVersions.useToEncrypt',
      'cloudkms.cryptoKeyVersions.useToDecrypt',
    ]);
    const { ring, key } = await w.newKey();
    await addBinding(w, ring, 'projects/customer-project/roles/openaiEkm', openai);
    const [sealed] = await w.kms.encrypt({ name: key, plaintext: data }, w.as(openai));
    const [opened] = await w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(openai));
    assert.deepEqual(Buffer.from(opened.plaintext!), data);
    const [tested] = await w.iam.testIamPermissions(
      {
        resource: key,
        permissions: ['cloudkms.cryptoKeyVersions.useToDecrypt', 'cloudkms.cryptoKeys.update'],
      },
      w.as(openai),
    );
    assert.deepEqual(tested.permissions, ['cloudkms.cryptoKeyVersions.useToDecrypt']);
  });

  it('refuses a disabled version with FAILED_PRECONDITION, and serves it again once re-enabled', async function () {
    const { key } = await w.newKey();
    await addBinding(w, key, encrypterDecrypter, app);
    const [sealed] = await w.kms.encrypt({ name: key, plaintext: data }, w.as(app));
    const version = `${key}/cryptoKeyVersions/1`;

    const [disabled] = await w.kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: version, state: 'DISABLED' },
      updateMask: { paths: ['state'] },
    });
    assert.equal(disabled.state, 'DISABLED');
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app)), {
      code: code.failedPrecondition,
    });
    await assert.rejects(w.kms.encrypt({ name: key, plaintext: data }, w.as(app)), {
      code: code.failedPrecondition,
    });

    await w.kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: version, state: 'ENABLED' },
      updateMask: { paths: ['state'] },
    });
    const [opened] = await w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app));
    assert.deepEqual(Buffer.from(opened.plaintext!), data);
  });

  it('refuses a principal without a binding, and again once its binding is removed', async function () {
    const { key } = await w.newKey();
    const [sealed] = await w.kms.encrypt({ name: key, plaintext: data });
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app)), {
      code: code.permissionDenied,
    });
    // cloudkms.admin manages keys but may not use them.
    await addBinding(w, key, 'roles/cloudkms.admin', app);
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app)), {
      code: code.permissionDenied,
    });

    await addBinding(w, key, encrypterDecrypter, app);
    await w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app));

    await removeMember(w, key, app);
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app)), {
      code: code.permissionDenied,
    });
    // A missing key reads as denied to a caller without permission, and as missing to the owner.
    await assert.rejects(w.kms.decrypt({ name: `${key}-gone`, ciphertext: sealed.ciphertext }, w.as(app)), {
      code: code.permissionDenied,
    });
    await assert.rejects(w.kms.getCryptoKey({ name: `${key}-gone` }), { code: code.notFound });
  });

  it('refuses a setIamPolicy with a stale etag (ABORTED) and leaves the policy as it was', async function () {
    const { key } = await w.newKey();
    const [first] = await w.iam.getIamPolicy({ resource: key });
    const [second] = await w.iam.setIamPolicy({
      resource: key,
      policy: { bindings: [{ role: encrypterDecrypter, members: [app] }], etag: first.etag },
    });
    assert.notDeepEqual(Buffer.from(second.etag!), Buffer.from(first.etag!));

    await assert.rejects(
      w.iam.setIamPolicy({ resource: key, policy: { bindings: [], etag: first.etag } }),
      (err: { code?: number; message?: string }) =>
        err.code === code.aborted && /concurrent policy changes/.test(err.message ?? ''),
    );
    const [now] = await w.iam.getIamPolicy({ resource: key });
    assert.deepEqual(now.bindings, second.bindings);
    assert.deepEqual(Buffer.from(now.etag!), Buffer.from(second.etag!));

    // Without an etag the write is unconditional, as in the real API.
    const [overwritten] = await w.iam.setIamPolicy({ resource: key, policy: { bindings: [] } });
    assert.deepEqual(overwritten.bindings, []);
  });

  it('restores a destroy-scheduled version as DISABLED, and cannot restore it once destroyed', async function () {
    const { key } = await w.newKey();
    const [sealed] = await w.kms.encrypt({ name: key, plaintext: data });
    const version = `${key}/cryptoKeyVersions/1`;

    const [scheduled] = await w.kms.destroyCryptoKeyVersion({ name: version });
    assert.equal(scheduled.state, 'DESTROY_SCHEDULED');
    const destroyAt = Number(scheduled.destroyTime!.seconds) * 1000;
    assert.ok(
      Math.abs(destroyAt - (w.fake.now().getTime() + 30 * day * 1000)) < 5000,
      'destroy_time is now + 30 days',
    );
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }), {
      code: code.failedPrecondition,
    });

    const [restored] = await w.kms.restoreCryptoKeyVersion({ name: version });
    assert.equal(restored.state, 'DISABLED');
    assert.equal(restored.destroyTime, null);
    await w.kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: version, state: 'ENABLED' },
      updateMask: { paths: ['state'] },
    });
    await w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext });

    await w.kms.destroyCryptoKeyVersion({ name: version });
    w.fake.advance(30 * day + 1);
    const [destroyed] = await w.kms.getCryptoKeyVersion({ name: version });
    assert.equal(destroyed.state, 'DESTROYED');
    assert.ok(destroyed.destroyEventTime, 'destroy_event_time is set');
    await assert.rejects(w.kms.restoreCryptoKeyVersion({ name: version }), { code: code.failedPrecondition });
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }), {
      code: code.failedPrecondition,
    });
  });

  it('rotates by hand (old ciphertexts still open, new ones use v2) and automatically when due', async function () {
    const { key } = await w.newKey();
    const [old] = await w.kms.encrypt({ name: key, plaintext: data });

    const [v2] = await w.kms.createCryptoKeyVersion({ parent: key, cryptoKeyVersion: {} });
    assert.equal(versionOf(v2.name), 2);
    const [beforePrimary] = await w.kms.getCryptoKey({ name: key });
    assert.equal(versionOf(beforePrimary.primary?.name), 1, 'a new version is not primary by itself');
    await w.kms.updateCryptoKeyPrimaryVersion({ name: key, cryptoKeyVersionId: '2' });

    const [fresh] = await w.kms.encrypt({ name: key, plaintext: data });
    assert.equal(versionOf(fresh.name), 2);
    const [openedOld] = await w.kms.decrypt({ name: key, ciphertext: old.ciphertext });
    assert.deepEqual(Buffer.from(openedOld.plaintext!), data);
    assert.equal(openedOld.usedPrimary, false);

    // Every version disabled but rotation left on: the service brings a fresh primary back.
    const nextRotation = Math.floor(w.fake.now().getTime() / 1000) + 3600;
    await w.kms.updateCryptoKey({
      cryptoKey: {
        name: key,
        rotationPeriod: { seconds: 30 * day },
        nextRotationTime: { seconds: nextRotation },
      },
      updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
    });
    for (const n of [1, 2]) {
      await w.kms.updateCryptoKeyVersion({
        cryptoKeyVersion: { name: `${key}/cryptoKeyVersions/${n}`, state: 'DISABLED' },
        updateMask: { paths: ['state'] },
      });
    }
    await assert.rejects(w.kms.encrypt({ name: key, plaintext: data }), { code: code.failedPrecondition });
    w.fake.advance(2 * 3600);
    const [rotated] = await w.kms.getCryptoKey({ name: key });
    assert.equal(versionOf(rotated.primary?.name), 3);
    assert.equal(rotated.primary?.state, 'ENABLED');
    assert.equal(Number(rotated.nextRotationTime?.seconds), nextRotation + 30 * day);
    const [afterRotation] = await w.kms.encrypt({ name: key, plaintext: data });
    assert.equal(versionOf(afterRotation.name), 3);
    assert.deepEqual(
      w.fake.automaticRotations().map((r) => r.version),
      [3],
    );
  });

  it('writes audit entries the Logging client reads by principal and method, refusals included', async function () {
    const { key } = await w.newKey();
    await addBinding(w, key, encrypterDecrypter, app);
    const [sealed] = await w.kms.encrypt({ name: key, plaintext: data }, w.as(app));
    await w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app));
    await removeMember(w, key, app);
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(app)), {
      code: code.permissionDenied,
    });
    await assert.rejects(w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext }, w.as(openai)));

    const [entries] = await w.logging.getEntries({
      filter: [
        'protoPayload.serviceName="cloudkms.googleapis.com"',
        'protoPayload.methodName=("Encrypt" OR "Decrypt")',
        `protoPayload.resourceName:"${key}"`,
        `protoPayload.authenticationInfo.principalEmail="${app.slice('serviceAccount:'.length)}"`,
      ].join(' AND '),
      orderBy: 'timestamp desc',
    });
    const payloads = entries.map((e) => decodeAuditLog(e.data));
    assert.deepEqual(
      payloads.map((p) => [p.methodName, p.status.code ?? 0]),
      [
        ['Decrypt', code.permissionDenied],
        ['Decrypt', 0],
        ['Encrypt', 0],
      ],
    );
    assert.equal(
      entries[0]!.metadata.logName,
      'projects/customer-project/logs/cloudaudit.googleapis.com%2Fdata_access',
    );
    assert.equal(entries[0]!.metadata.severity, 'ERROR');
    assert.match(payloads[0]!.status.message ?? '', /useToDecrypt/);
    assert.deepEqual(payloads[0]!.authorizationInfo, [
      { resource: key, permission: 'cloudkms.cryptoKeyVersions.useToDecrypt', granted: false },
    ]);

    // Federated principals are logged as principalSubject, as Cloud Audit Logs do.
    const [vendor] = await w.logging.getEntries({
      filter: `protoPayload.authenticationInfo.principalSubject="${openai}"`,
    });
    assert.equal(vendor.length, 1);

    const [removals] = await w.logging.getEntries({
      filter: `logName="projects/customer-project/logs/cloudaudit.googleapis.com%2Factivity" AND protoPayload.methodName="SetIamPolicy"`,
    });
    assert.equal(removals.length, 2, 'the grant and the removal');

    await assert.rejects(w.logging.getEntries({ filter: 'protoPayload.methodName="Decrypt" AND (' }), {
      code: code.invalidArgument,
    });
  });

  it('writes no Data Access entries when Data Access logging is off, while Admin Activity goes on', async function () {
    w.fake.setDataAccessLogging(false);
    const { key } = await w.newKey();
    const [sealed] = await w.kms.encrypt({ name: key, plaintext: data });
    await w.kms.decrypt({ name: key, ciphertext: sealed.ciphertext });
    await w.kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: `${key}/cryptoKeyVersions/1`, state: 'DISABLED' },
      updateMask: { paths: ['state'] },
    });

    const [dataAccess] = await w.logging.getEntries({
      filter: 'logName="projects/customer-project/logs/cloudaudit.googleapis.com%2Fdata_access"',
    });
    assert.equal(dataAccess.length, 0);
    const [activity] = await w.logging.getEntries({
      filter: 'protoPayload.serviceName="cloudkms.googleapis.com"',
    });
    assert.deepEqual(
      activity.map((e) => decodeAuditLog(e.data).methodName),
      ['UpdateCryptoKeyVersion', 'CreateCryptoKey', 'CreateKeyRing'],
    );
  });
});
