// The Google Cloud KMS provider's activities on their own, through the real @google-cloud/kms and
// @google-cloud/logging clients against the sandbox's Cloud KMS fake (which enforces IAM, version states,
// destruction and rotation): each activity's effect is read back from the fake, a second call changes
// nothing and says so, and failures arrive typed (a missing key is a final KeyNotFound).
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { describeGcpKeyActivity } from '../../providers/gcp/activities/describeKey';
import {
  cancelGcpKeyDestructionActivity,
  scheduleGcpKeyDestructionActivity,
} from '../../providers/gcp/activities/keyDestruction';
import { readGcpKeyRotationActivity, rotateGcpKeyActivity } from '../../providers/gcp/activities/keyRotation';
import { readGcpKeyUsageActivity } from '../../providers/gcp/activities/keyUsage';
import {
  createGcpReplacementKeyActivity,
  grantGcpOpenAiAccessActivity,
} from '../../providers/gcp/activities/replacementKey';
import { restoreGcpAccessActivity } from '../../providers/gcp/activities/restoreAccess';
import { revokeGcpAccessActivity } from '../../providers/gcp/activities/revokeAccess';
import { snapshotGcpAccessActivity } from '../../providers/gcp/activities/snapshotAccess';
import {
  encrypterDecrypter,
  grpcCode,
  openAiPrincipal as openai,
  startGcpProviderWorld,
  withConcurrentEdit,
  type GcpProviderWorld,
} from '../fixtures/gcpProvider';
import { testOwnership } from '../fixtures/ownership';

const day = 86_400;
const app = 'serviceAccount:app@customer-project.iam.gserviceaccount.com';
const viewer = 'roles/cloudkms.viewer';

/** Asserts a final ApplicationFailure of this type, and returns it for more checks. */
async function rejectsFinal(promise: Promise<unknown>, type: string): Promise<ApplicationFailure> {
  let failure: ApplicationFailure | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    assert.equal(err.nonRetryable, true, 'final');
    failure = err;
    return true;
  });
  return failure!;
}

/** A policy as who holds which role (IAM grants the same whether a role's members sit in one binding or two). */
function sortedBindings(bindings: { role?: string | null; members?: string[] | null }[] | null | undefined) {
  const byRole = new Map<string, Set<string>>();
  for (const b of bindings ?? [])
    for (const m of b.members ?? []) byRole.set(b.role ?? '', (byRole.get(b.role ?? '') ?? new Set()).add(m));
  return [...byRole].map(([role, members]) => `${role}=${[...members].sort().join(',')}`).sort();
}

async function versionStates(w: GcpProviderWorld, key: string): Promise<string[]> {
  const [versions] = await w.kms.listCryptoKeyVersions({ parent: key });
  return versions.map((v) => `${v.name!.split('/').pop()}:${v.state}`);
}

async function setRotation(w: GcpProviderWorld, key: string, periodSeconds: number, inSeconds: number) {
  await w.kms.updateCryptoKey({
    cryptoKey: {
      name: key,
      rotationPeriod: { seconds: periodSeconds },
      nextRotationTime: { seconds: Math.floor(w.fake.now().getTime() / 1000) + inSeconds },
    },
    updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
  });
}

describe('Google Cloud KMS provider activities (against the Cloud KMS fake)', function () {
  let w: GcpProviderWorld;
  beforeEach(async () => {
    w = await startGcpProviderWorld();
  });
  afterEach(async () => {
    await w.closeAll();
  });

  describe('describeGcpKey', function () {
    it("reads the key as ekm describes keys: the primary version's state, versions, rotation", async function () {
      const describe = describeGcpKeyActivity(w.clients);
      const { ring, key } = await w.newKey();
      await setRotation(w, key, 90 * day, 10 * day);
      const [v2] = await w.kms.createCryptoKeyVersion({ parent: key, cryptoKeyVersion: {} });

      const d = await describe({ keyName: key });
      assert.equal(d.provider, 'gcp');
      assert.equal(d.keyId, key);
      assert.equal(d.shortId, 'ekm-key');
      assert.equal(d.keyRing, ring);
      assert.equal(d.state, 'ENABLED');
      assert.equal(d.enabled, true);
      assert.equal(d.usage, 'ENCRYPT_DECRYPT');
      assert.equal(d.keySpec, 'GOOGLE_SYMMETRIC_ENCRYPTION');
      assert.equal(d.manager, 'CUSTOMER');
      assert.equal(d.primaryVersion, `${key}/cryptoKeyVersions/1`);
      assert.deepEqual(d.enabledVersions, [`${key}/cryptoKeyVersions/1`, v2.name]);
      assert.equal(d.rotationPeriodSeconds, 90 * day);
      assert.ok(d.nextRotationTime && Date.parse(d.nextRotationTime) > Date.now() + 9 * day * 1000);
      assert.equal(d.destroyScheduledDurationSeconds, 30 * day);
      assert.deepEqual(d.destroyScheduledVersions, []);
      assert.equal(d.deletionDate, undefined);
      assert.ok(d.createdAt && Math.abs(Date.parse(d.createdAt) - Date.now()) < 60_000);

      // The key's state follows its primary version: disabled primary, disabled key for OpenAI.
      await w.kms.updateCryptoKeyVersion({
        cryptoKeyVersion: { name: `${key}/cryptoKeyVersions/1`, state: 'DISABLED' },
        updateMask: { paths: ['state'] },
      });
      const disabled = await describe({ keyName: key });
      assert.equal(disabled.state, 'DISABLED');
      assert.equal(disabled.enabled, false);
      assert.deepEqual(disabled.enabledVersions, [v2.name]);
    });

    it('a missing key is a final KeyNotFound; a malformed name a final InvalidInput', async function () {
      const describe = describeGcpKeyActivity(w.clients);
      const { ring } = await w.newKey();
      const failure = await rejectsFinal(describe({ keyName: `${ring}/cryptoKeys/nope` }), 'KeyNotFound');
      assert.match(failure.message, /nope/);
      await rejectsFinal(describe({ keyName: 'alias/ekm-demo' }), 'InvalidInput');
    });
  });

  describe('snapshotGcpAccess and restoreGcpAccess', function () {
    it('after remove-binding: OpenAI decrypts again, the policy is the snapshot’s, a second restore changes nothing', async function () {
      const { ring, key } = await w.newKey();
      await w.bind(key, openai);
      await w.bind(key, openai, viewer);
      await w.bind(key, app);
      const [original] = await w.iam.getIamPolicy({ resource: key });
      const old = await w.encryptAs(key);

      const snapshot = await snapshotGcpAccessActivity(w.clients)({ keyName: key, principal: openai });
      assert.deepEqual(
        snapshot.bindings.map((b) => [b.resource, b.role, b.member, b.usePermissions]),
        [
          [
            key,
            encrypterDecrypter,
            openai,
            ['cloudkms.cryptoKeyVersions.useToEncrypt', 'cloudkms.cryptoKeyVersions.useToDecrypt'],
          ],
          [key, viewer, openai, []],
        ],
      );
      assert.equal(snapshot.keyRing, ring);
      assert.deepEqual(snapshot.enabledVersions, [`${key}/cryptoKeyVersions/1`]);
      assert.deepEqual(snapshot.otherKeyMembers, [app], 'who else disable-versions would stop');

      await revokeGcpAccessActivity(w.clients)({ method: 'remove-binding', keyName: key, principal: openai });
      assert.equal(await w.decryptCode(key, old), grpcCode.permissionDenied);

      const restore = restoreGcpAccessActivity(w.clients);
      const first = await restore({ method: 'remove-binding', snapshot });
      assert.equal(first.changed, true, first.description);
      assert.equal(await w.decryptCode(key, old), grpcCode.ok, 'OpenAI decrypts old data again');
      const [restored] = await w.iam.getIamPolicy({ resource: key });
      assert.deepEqual(sortedBindings(restored.bindings), sortedBindings(original.bindings));

      const again = await restore({ method: 'remove-binding', snapshot });
      assert.equal(again.changed, false, again.description);
      assert.match(again.description, /nothing changed/);
      const [unchanged] = await w.iam.getIamPolicy({ resource: key });
      assert.deepEqual(
        Buffer.from(unchanged.etag as Uint8Array),
        Buffer.from(restored.etag as Uint8Array),
        'not even rewritten',
      );
    });

    it('a stale etag (someone edits the policy between read and write) is read again, and both edits stay', async function () {
      const { key } = await w.newKey();
      await w.bind(key, openai);
      const snapshot = await snapshotGcpAccessActivity(w.clients)({ keyName: key, principal: openai });
      await revokeGcpAccessActivity(w.clients)({ method: 'remove-binding', keyName: key, principal: openai });

      const racing = withConcurrentEdit(w.clients.kms, key, () => w.bind(key, app));
      const result = await restoreGcpAccessActivity({ ...w.clients, kms: racing.kms })({
        method: 'remove-binding',
        snapshot,
      });
      assert.equal(result.changed, true);
      assert.match(result.description, /1 concurrent change\(s\): the etag was stale/);
      assert.equal(racing.setCalls(), 2, 'the first write was refused (ABORTED), the second went through');
      const [policy] = await w.iam.getIamPolicy({ resource: key });
      assert.deepEqual(sortedBindings(policy.bindings), [`${encrypterDecrypter}=${openai},${app}`]);
      const sealed = await w.encryptAs(key);
      assert.equal(await w.decryptCode(key, sealed), grpcCode.ok);
    });

    it('after disable-versions: the enabled versions and the rotation schedule come back; once only', async function () {
      const { key } = await w.newKey();
      await w.bind(key, openai);
      const [v2] = await w.kms.createCryptoKeyVersion({ parent: key, cryptoKeyVersion: {} });
      const [v3] = await w.kms.createCryptoKeyVersion({
        parent: key,
        cryptoKeyVersion: { state: 'DISABLED' },
      });
      await setRotation(w, key, 30 * day, 5 * day);
      const old = await w.encryptAs(key);

      const snapshot = await snapshotGcpAccessActivity(w.clients)({ keyName: key, principal: openai });
      assert.deepEqual(snapshot.enabledVersions, [`${key}/cryptoKeyVersions/1`, v2.name]);
      assert.equal(snapshot.rotation?.periodSeconds, 30 * day);

      await revokeGcpAccessActivity(w.clients)({
        method: 'disable-versions',
        keyName: key,
        principal: openai,
      });
      assert.equal(await w.decryptCode(key, old), grpcCode.failedPrecondition);

      const restore = restoreGcpAccessActivity(w.clients);
      const first = await restore({ method: 'disable-versions', snapshot });
      assert.equal(first.changed, true, first.description);
      assert.deepEqual(
        await versionStates(w, key),
        ['1:ENABLED', '2:ENABLED', '3:DISABLED'],
        `${v3.name} stays as it was`,
      );
      const [k] = await w.kms.getCryptoKey({ name: key });
      assert.equal(Number(k.rotationPeriod?.seconds), 30 * day);
      assert.equal(
        new Date(Number(k.nextRotationTime?.seconds) * 1000).toISOString(),
        new Date(Math.floor(Date.parse(snapshot.rotation!.nextRotationTime!) / 1000) * 1000).toISOString(),
        'the snapshot’s next rotation, still ahead',
      );
      assert.equal(await w.decryptCode(key, old), grpcCode.ok);

      const again = await restore({ method: 'disable-versions', snapshot });
      assert.equal(again.changed, false, again.description);
    });

    it('refuses to revive a version scheduled for destruction (MethodNotApplicable), changing nothing', async function () {
      const { key } = await w.newKey();
      await w.kms.createCryptoKeyVersion({ parent: key, cryptoKeyVersion: {} });
      const snapshot = await snapshotGcpAccessActivity(w.clients)({ keyName: key, principal: openai });
      await revokeGcpAccessActivity(w.clients)({
        method: 'disable-versions',
        keyName: key,
        principal: openai,
      });
      await w.kms.destroyCryptoKeyVersion({ name: `${key}/cryptoKeyVersions/2` });

      const failure = await rejectsFinal(
        restoreGcpAccessActivity(w.clients)({ method: 'disable-versions', snapshot }),
        'MethodNotApplicable',
      );
      assert.match(failure.message, /cryptoKeyVersions\/2 \(DESTROY_SCHEDULED\)/);
      assert.deepEqual(
        await versionStates(w, key),
        ['1:DISABLED', '2:DESTROY_SCHEDULED'],
        'version 1 not enabled either',
      );
    });

    it('a snapshot of a missing key is a final KeyNotFound; of a mistyped principal InvalidInput', async function () {
      const { ring, key } = await w.newKey();
      await rejectsFinal(
        snapshotGcpAccessActivity(w.clients)({ keyName: `${ring}/cryptoKeys/gone`, principal: openai }),
        'KeyNotFound',
      );
      await rejectsFinal(
        snapshotGcpAccessActivity(w.clients)({ keyName: key, principal: 'openai@example.com' }),
        'InvalidInput',
      );
    });
  });

  describe('rotateGcpKey and readGcpKeyRotation', function () {
    it('rotate now: a new primary version, old data still decrypts, and a retry makes no second version', async function () {
      const { key } = await w.newKey();
      await w.bind(key, openai);
      const old = await w.encryptAs(key);
      const before = await readGcpKeyRotationActivity(w.clients)({ keyName: key });
      assert.equal(before.latestVersion, 1);
      assert.equal(before.automatic, false);

      const rotate = rotateGcpKeyActivity(w.clients);
      const request = {
        keyName: key,
        rotation: { kind: 'now' as const },
        latestVersionBefore: before.latestVersion,
      };
      const first = await rotate(request);
      assert.equal(first.changed, true, first.description);
      assert.equal(first.after.primaryVersion, `${key}/cryptoKeyVersions/2`);
      const [k] = await w.kms.getCryptoKey({ name: key });
      assert.equal(k.primary?.name, `${key}/cryptoKeyVersions/2`);
      const [sealed] = await w.kms.encrypt({ name: key, plaintext: Buffer.from('new') }, w.as(openai));
      assert.equal(sealed.name, `${key}/cryptoKeyVersions/2`, 'new data under the new version');
      assert.equal(await w.decryptCode(key, old), grpcCode.ok, 'old data under the old one');

      const again = await rotate(request);
      assert.equal(again.changed, false, again.description);
      assert.deepEqual(await versionStates(w, key), ['1:ENABLED', '2:ENABLED'], 'no third version');
    });

    it('rotate now after a half-done attempt (version made, not yet primary) makes that one primary', async function () {
      const { key } = await w.newKey();
      const before = await readGcpKeyRotationActivity(w.clients)({ keyName: key });
      await w.kms.createCryptoKeyVersion({ parent: key, cryptoKeyVersion: {} }); // the lost attempt's
      const result = await rotateGcpKeyActivity(w.clients)({
        keyName: key,
        rotation: { kind: 'now' },
        latestVersionBefore: before.latestVersion,
      });
      assert.equal(result.changed, true);
      assert.match(result.description, /made by an earlier attempt/);
      assert.equal(result.after.primaryVersion, `${key}/cryptoKeyVersions/2`);
      assert.equal(result.after.latestVersion, 2);
    });

    it('refuses to rotate a key whose primary is disabled: a new enabled primary would undo a revocation', async function () {
      const { key } = await w.newKey();
      await w.bind(key, openai);
      await revokeGcpAccessActivity(w.clients)({
        method: 'disable-versions',
        keyName: key,
        principal: openai,
      });
      const rotate = rotateGcpKeyActivity(w.clients);
      await rejectsFinal(
        rotate({ keyName: key, rotation: { kind: 'now' }, latestVersionBefore: 1 }),
        'MethodNotApplicable',
      );
      await rejectsFinal(
        rotate({ keyName: key, rotation: { kind: 'automatic', periodSeconds: 30 * day } }),
        'MethodNotApplicable',
      );
      assert.deepEqual(await versionStates(w, key), ['1:DISABLED']);
      await assert.rejects(w.encryptAs(key), { code: grpcCode.failedPrecondition }, 'OpenAI still refused');
    });

    it('automatic: sets the period and next rotation, reads them back; the same request again changes nothing', async function () {
      const { key } = await w.newKey();
      const rotate = rotateGcpKeyActivity(w.clients);
      const first = await rotate({ keyName: key, rotation: { kind: 'automatic', periodSeconds: 90 * day } });
      assert.equal(first.changed, true, first.description);
      assert.equal(first.after.automatic, true);
      assert.equal(first.after.periodSeconds, 90 * day);
      const next = Date.parse(first.after.nextRotationDate!);
      assert.ok(Math.abs(next - (Date.now() + 90 * day * 1000)) < 60_000, first.after.nextRotationDate);

      const again = await rotate({ keyName: key, rotation: { kind: 'automatic', periodSeconds: 90 * day } });
      assert.equal(again.changed, false, again.description);
      assert.equal(
        again.after.nextRotationDate,
        first.after.nextRotationDate,
        'the next rotation is not pushed back',
      );

      const read = await readGcpKeyRotationActivity(w.clients)({ keyName: key });
      assert.equal(read.periodSeconds, 90 * day);

      await rejectsFinal(
        rotate({ keyName: key, rotation: { kind: 'automatic', periodSeconds: 3600 } }),
        'InvalidInput',
      );
      await rejectsFinal(rotate({ keyName: key, rotation: { kind: 'now' } }), 'InvalidInput');
      await rejectsFinal(readGcpKeyRotationActivity(w.clients)({ keyName: `${key}-missing` }), 'KeyNotFound');
    });
  });

  describe('createGcpReplacementKey and grantGcpOpenAiAccess', function () {
    it('creates the replacement in the same ring once, and OpenAI may use it after the grant, once', async function () {
      const { ring, key } = await w.newKey();
      const create = createGcpReplacementKeyActivity(w.clients, testOwnership());
      const request = {
        keyName: key,
        newKeyId: 'ekm-key-2',
        workflowId: 'ekm-key:gcp/1',
        step: 'replacement',
      };
      const made = await create(request);
      assert.equal(made.created, true, made.description);
      assert.equal(made.keyName, `${ring}/cryptoKeys/ekm-key-2`);
      const again = await create(request);
      assert.equal(again.created, false, again.description);
      assert.equal(again.keyName, made.keyName);
      const [keys] = await w.kms.listCryptoKeys({ parent: ring });
      assert.deepEqual(keys.map((k) => k.name).sort(), [key, made.keyName]);
      const [version] = await w.kms.listCryptoKeyVersions({ parent: made.keyName });
      assert.deepEqual(
        version.map((v) => v.state),
        ['ENABLED'],
      );

      await assert.rejects(
        w.encryptAs(made.keyName),
        { code: grpcCode.permissionDenied },
        'no access before the grant',
      );
      const grant = grantGcpOpenAiAccessActivity(w.clients);
      const granted = await grant({ keyName: made.keyName, principal: openai });
      assert.equal(granted.changed, true, granted.description);
      const sealed = await w.encryptAs(made.keyName);
      assert.equal(await w.decryptCode(made.keyName, sealed), grpcCode.ok);
      const second = await grant({ keyName: made.keyName, principal: openai });
      assert.equal(second.changed, false, second.description);
      const [policy] = await w.iam.getIamPolicy({ resource: made.keyName });
      assert.deepEqual(sortedBindings(policy.bindings), [`${encrypterDecrypter}=${openai}`]);
    });

    it('a key of that name not made by this run is refused; a missing old key is KeyNotFound', async function () {
      const { ring, key } = await w.newKey();
      await w.kms.createCryptoKey({
        parent: ring,
        cryptoKeyId: 'taken',
        cryptoKey: { purpose: 'ENCRYPT_DECRYPT' },
      });
      const run1 = { workflowId: 'ekm-key:run-1', runId: 'run-1' };
      const create = createGcpReplacementKeyActivity(w.clients, testOwnership(run1));
      const failure = await rejectsFinal(
        create({ keyName: key, newKeyId: 'taken', workflowId: 'run-1', step: 'replacement' }),
        'NameTaken',
      );
      assert.match(failure.message, /taken by .*without this worker/);
      // Another run's own key is not this run's either, though the same worker marked it.
      const run2 = { workflowId: 'ekm-key:run-2', runId: 'run-2' };
      await createGcpReplacementKeyActivity(
        w.clients,
        testOwnership(run2),
      )({
        keyName: key,
        newKeyId: 'theirs',
        workflowId: 'run-2',
        step: 'replacement',
      });
      await rejectsFinal(
        create({ keyName: key, newKeyId: 'theirs', workflowId: 'run-1', step: 'replacement' }),
        'NameTaken',
      );
      // A person who adopts it (`ekm resolve --adopt`) gets it, unchanged.
      const adopted = await create({
        keyName: key,
        newKeyId: 'taken',
        workflowId: 'run-1',
        step: 'replacement',
        adopt: true,
      });
      assert.equal(adopted.created, false, adopted.description);
      await rejectsFinal(
        create({
          keyName: `${ring}/cryptoKeys/gone`,
          newKeyId: 'fresh',
          workflowId: 'run-1',
          step: 'replacement',
        }),
        'KeyNotFound',
      );
      await rejectsFinal(
        grantGcpOpenAiAccessActivity(w.clients)({ keyName: key, principal: 'allUsers' }),
        'InvalidInput',
      );
      await rejectsFinal(
        grantGcpOpenAiAccessActivity(w.clients)({ keyName: `${ring}/cryptoKeys/gone`, principal: openai }),
        'KeyNotFound',
      );
    });

    it('the grant survives a concurrent policy edit (stale etag), keeping the other editor’s binding', async function () {
      const { key } = await w.newKey();
      const racing = withConcurrentEdit(w.clients.kms, key, () => w.bind(key, app, viewer));
      const granted = await grantGcpOpenAiAccessActivity({ ...w.clients, kms: racing.kms })({
        keyName: key,
        principal: openai,
      });
      assert.equal(granted.changed, true);
      assert.equal(racing.setCalls(), 2);
      const [policy] = await w.iam.getIamPolicy({ resource: key });
      assert.deepEqual(sortedBindings(policy.bindings), [
        `${encrypterDecrypter}=${openai}`,
        `${viewer}=${app}`,
      ]);
    });
  });

  describe('scheduleGcpKeyDestruction and cancelGcpKeyDestruction', function () {
    it('schedules every version, stops rotation so nothing new appears, and cancels back to DISABLED', async function () {
      const { key } = await w.newKey();
      await w.bind(key, openai);
      await w.kms.createCryptoKeyVersion({ parent: key, cryptoKeyVersion: { state: 'DISABLED' } });
      await setRotation(w, key, 30 * day, day);
      const old = await w.encryptAs(key);

      const schedule = scheduleGcpKeyDestructionActivity(w.clients);
      const first = await schedule({ keyName: key });
      assert.equal(first.changed, true, first.description);
      assert.deepEqual(first.rotationStopped?.periodSeconds, 30 * day);
      assert.deepEqual(await versionStates(w, key), ['1:DESTROY_SCHEDULED', '2:DESTROY_SCHEDULED']);
      const expected = w.fake.now().getTime() + 30 * day * 1000;
      assert.ok(Math.abs(Date.parse(first.destroyTime!) - expected) < 60_000, first.destroyTime);
      assert.equal(await w.decryptCode(key, old), grpcCode.failedPrecondition, 'OpenAI refused already');

      const described = await describeGcpKeyActivity(w.clients)({ keyName: key });
      assert.equal(described.state, 'DESTROY_SCHEDULED');
      assert.equal(described.deletionDate, first.destroyTime);
      assert.equal(described.destroyScheduledVersions.length, 2);

      const again = await schedule({ keyName: key });
      assert.equal(again.changed, false, again.description);
      assert.equal(again.destroyTime, first.destroyTime, 'the date does not move');

      w.fake.advance(2 * day); // past the rotation that was due
      assert.deepEqual(w.fake.automaticRotations(), [], 'no fresh version for the "deleted" key');

      const cancel = cancelGcpKeyDestructionActivity(w.clients);
      const cancelled = await cancel({ keyName: key });
      assert.equal(cancelled.changed, true, cancelled.description);
      assert.deepEqual(await versionStates(w, key), ['1:DISABLED', '2:DISABLED']);
      const twice = await cancel({ keyName: key });
      assert.equal(twice.changed, false, twice.description);
    });

    it('past the destroy time a cancel restores nothing and says the versions are gone', async function () {
      const { key } = await w.newKey();
      await scheduleGcpKeyDestructionActivity(w.clients)({ keyName: key });
      w.fake.advance(31 * day);
      const cancelled = await cancelGcpKeyDestructionActivity(w.clients)({ keyName: key });
      assert.equal(cancelled.changed, false);
      assert.deepEqual(cancelled.destroyed, [`${key}/cryptoKeyVersions/1`]);
      assert.match(cancelled.description, /DESTROYED \(gone for good\)/);
      await rejectsFinal(
        scheduleGcpKeyDestructionActivity(w.clients)({ keyName: `${key}-missing` }),
        'KeyNotFound',
      );
    });
  });

  describe('readGcpKeyUsage', function () {
    it("counts OpenAI's successful and refused Encrypt/Decrypt from the Data Access entries", async function () {
      const { key } = await w.newKey();
      const { key: otherKey } = await w.newKey({ ring: 'other-ring' });
      await w.bind(key, openai);
      await w.bind(key, app);
      await w.bind(otherKey, openai);
      const since = new Date(w.fake.now().getTime() - 1000).toISOString();

      const a = await w.encryptAs(key);
      await w.encryptAs(key);
      assert.equal(await w.decryptCode(key, a), grpcCode.ok);
      await w.encryptAs(key, app); // someone else's use: scanned, not counted for OpenAI
      await w.encryptAs(otherKey); // OpenAI on another key: not this key's
      await revokeGcpAccessActivity(w.clients)({ method: 'remove-binding', keyName: key, principal: openai });
      assert.equal(await w.decryptCode(key, a), grpcCode.permissionDenied);
      const until = new Date(w.fake.now().getTime() + 1000).toISOString();

      const read = readGcpKeyUsageActivity(w.clients);
      const report = await read({ keyName: key, principal: openai, since, until });
      assert.equal(report.provider, 'gcp');
      assert.equal(report.dataAccessLogs, 'seen');
      assert.deepEqual(report.operations, {
        Encrypt: { successful: 2, refused: 0 },
        Decrypt: { successful: 1, refused: 1 },
      });
      assert.equal(report.successful, 3);
      assert.equal(report.refused, 1);
      assert.deepEqual(report.refusedByCode, { PERMISSION_DENIED: 1 });
      assert.equal(report.eventsScanned, 5, 'four by OpenAI and one by the app, on this key');
      assert.ok(report.firstSuccessfulUse! <= report.lastSuccessfulUse!);
      assert.ok(report.lastRefusedAttempt! >= report.lastSuccessfulUse!);
      assert.ok(report.samples.every((s) => s.principal === openai));
      assert.deepEqual(
        report.samples.filter((s) => s.errorCode).map((s) => [s.eventName, s.errorCode]),
        [['Decrypt', 'PERMISSION_DENIED']],
      );
      assert.equal(report.truncated, false);

      const everyone = await read({ keyName: key, since, until });
      assert.equal(everyone.successful, 4, 'with the app’s Encrypt');
    });

    it('says Data Access logging looks disabled rather than reporting no use', async function () {
      w.fake.setDataAccessLogging(false);
      const { key } = await w.newKey();
      await w.bind(key, openai);
      const since = new Date(w.fake.now().getTime() - 1000).toISOString();
      const sealed = await w.encryptAs(key);
      assert.equal(await w.decryptCode(key, sealed), grpcCode.ok, 'OpenAI did use the key');
      const until = new Date(w.fake.now().getTime() + 1000).toISOString();

      const report = await readGcpKeyUsageActivity(w.clients)({
        keyName: key,
        principal: openai,
        since,
        until,
      });
      assert.equal(report.dataAccessLogs, 'looks-disabled');
      assert.equal(report.successful, 0);
      assert.match(report.caveats[0]!, /Data Access audit logging looks disabled/);
    });

    it('tells an unused key (logging works elsewhere in the project) from disabled logging', async function () {
      const { key } = await w.newKey();
      const { key: busy } = await w.newKey({ ring: 'busy' });
      const since = new Date(w.fake.now().getTime() - 1000).toISOString();
      await w.bind(busy, app);
      await w.encryptAs(busy, app);
      const until = new Date(w.fake.now().getTime() + 1000).toISOString();
      const report = await readGcpKeyUsageActivity(w.clients)({
        keyName: key,
        principal: openai,
        since,
        until,
      });
      assert.equal(report.dataAccessLogs, 'none-for-key');
      assert.equal(report.eventsScanned, 0);
      await rejectsFinal(
        readGcpKeyUsageActivity(w.clients)({ keyName: key, since: until, until: since }),
        'InvalidInput',
      );
    });
  });
});
