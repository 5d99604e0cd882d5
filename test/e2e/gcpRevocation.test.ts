// The Google Cloud revocation methods on their own, against the sandbox's Cloud KMS fake through the real
// @google-cloud/kms client: after each, OpenAI's principal is really refused (the fake enforces IAM and
// version states), a second run changes nothing, and disable-versions stops automatic rotation — without
// that, the next rotation would make a fresh enabled primary version and undo the revocation (shown).
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createGcpClients, type GcpClients } from '../../providers/gcp/activities/clients';
import { revokeGcpAccessActivity } from '../../providers/gcp/activities/revokeAccess';
import { startGcpWorld, type GcpWorld } from '../fixtures/gcpKms';

const openai =
  'principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/openai-ekm/subject/openai';
const encrypterDecrypter = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';
const code = { permissionDenied: 7, failedPrecondition: 9 };
const data = Buffer.from('a data key OpenAI wrapped');

async function grant(w: GcpWorld, resource: string, member = openai) {
  const [policy] = await w.iam.getIamPolicy({ resource });
  const bindings = [...(policy.bindings ?? []), { role: encrypterDecrypter, members: [member] }];
  await w.iam.setIamPolicy({ resource, policy: { bindings, etag: policy.etag } });
}

const day = 86_400;

/** Automatic rotation every 30 days, the next one due a day from the fake's now. */
async function rotateMonthlyFromTomorrow(w: GcpWorld, key: string) {
  await w.kms.updateCryptoKey({
    cryptoKey: {
      name: key,
      rotationPeriod: { seconds: 30 * day },
      nextRotationTime: { seconds: Math.floor(w.fake.now().getTime() / 1000) + day },
    },
    updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
  });
}

/** OpenAI encrypts old data with the key while it may; returns the ciphertext. */
async function openAiEncrypts(w: GcpWorld, key: string): Promise<Uint8Array> {
  const [sealed] = await w.kms.encrypt({ name: key, plaintext: data }, w.as(openai));
  return sealed.ciphertext as Uint8Array;
}

/** The gRPC code OpenAI's decrypt of old data gets now (0: it decrypts). */
async function openAiDecryptCode(w: GcpWorld, key: string, ciphertext: Uint8Array): Promise<number> {
  try {
    await w.kms.decrypt({ name: key, ciphertext }, w.as(openai));
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe('Google Cloud revocation methods (against the Cloud KMS fake)', function () {
  let w: GcpWorld;
  let clients: GcpClients;
  beforeEach(async () => {
    w = await startGcpWorld({ projectId: 'customer-project' });
    clients = createGcpClients({ projectId: 'customer-project', endpoint: w.fake.address });
  });
  afterEach(async () => {
    await clients.kms.close();
    await w.close();
  });

  it('remove-binding: OpenAI is refused (PERMISSION_DENIED), other members keep theirs, a retry changes nothing', async function () {
    const { key } = await w.newKey();
    const app = 'serviceAccount:app@customer-project.iam.gserviceaccount.com';
    await grant(w, key);
    await grant(w, key, app);
    const old = await openAiEncrypts(w, key);
    const revoke = revokeGcpAccessActivity(clients);

    const first = await revoke({ method: 'remove-binding', keyName: key, principal: openai });
    assert.equal(first.changed, true, first.description);
    assert.equal(await openAiDecryptCode(w, key, old), code.permissionDenied);
    const [policy] = await w.iam.getIamPolicy({ resource: key });
    assert.deepEqual(
      policy.bindings?.map((b) => b.members),
      [[app]],
      'only OpenAI’s membership is gone',
    );
    const again = await revoke({ method: 'remove-binding', keyName: key, principal: openai });
    assert.equal(again.changed, false);
  });

  it('remove-binding refuses, changing nothing, when the key ring grants OpenAI too', async function () {
    const { ring, key } = await w.newKey();
    await grant(w, ring);
    await grant(w, key);
    const old = await openAiEncrypts(w, key);
    await assert.rejects(
      revokeGcpAccessActivity(clients)({ method: 'remove-binding', keyName: key, principal: openai }),
      (err: ApplicationFailure) => {
        assert.equal(err.type, 'MethodNotApplicable');
        assert.match(
          err.message,
          /the key ring .* grants it roles\/cloudkms\.cryptoKeyEncrypterDecrypter too/,
        );
        return true;
      },
    );
    assert.equal(await openAiDecryptCode(w, key, old), 0, 'nothing changed');
  });

  it('disable-versions stops automatic rotation first, so a due rotation does not undo the revocation', async function () {
    const { key } = await w.newKey();
    await grant(w, key);
    await rotateMonthlyFromTomorrow(w, key);
    const old = await openAiEncrypts(w, key);

    const result = await revokeGcpAccessActivity(clients)({
      method: 'disable-versions',
      keyName: key,
      principal: openai,
    });
    assert.match(result.description, /automatic rotation stopped.*cryptoKeyVersions\/1|1 disabled/);
    assert.equal(await openAiDecryptCode(w, key, old), code.failedPrecondition);
    w.fake.advance(2 * day); // past the rotation that was due
    assert.equal(await openAiDecryptCode(w, key, old), code.failedPrecondition);
    await assert.rejects(
      openAiEncrypts(w, key),
      (err: { code: number }) => err.code === code.failedPrecondition,
    );
    const [versions] = await w.kms.listCryptoKeyVersions({ parent: key });
    assert.deepEqual(
      versions.map((v) => v.state),
      ['DISABLED'],
      'no new version was made',
    );
  });

  it('(why) disabling the versions without stopping rotation is undone by the next rotation', async function () {
    const { key } = await w.newKey();
    await grant(w, key);
    await rotateMonthlyFromTomorrow(w, key);
    await w.kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: `${key}/cryptoKeyVersions/1`, state: 'DISABLED' },
      updateMask: { paths: ['state'] },
    });
    w.fake.advance(2 * day);
    const fresh = await openAiEncrypts(w, key);
    assert.equal(await openAiDecryptCode(w, key, fresh), 0, 'OpenAI can use the key again');
  });
});
