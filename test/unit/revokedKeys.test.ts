// Revoked approver keys without a server: the check the workflow's validator, the gated activity and
// `ekm evidence verify` share (common/revokedKeys.ts), and the configuration that declares revocations and
// the evidence keys a rotation retired.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureSigningKeyFile, generateSigningKey } from '../../activities/evidence/signer';
import { refuseRevokedKey, revokedKeyUsed } from '../../common/revokedKeys';
import { voteStatement } from '../../common/signedStatement';
import { parseWorkerConfig, WorkerConfigError } from '../../worker/config';

// Configurations judged for their approvals and evidence sections alone: a read worker needs no gates.
const asRead = { role: 'read', mutatingTaskQueue: 'ekm-changes' } as const;
import { createEvidenceStore } from '../../worker/createWorker';
import { approverKey, signatureBy } from '../fixtures/approverKeys';

const run = { workflowId: 'ekm-key:arn:aws:kms:us-east-1:111122223333:key/k', runId: 'run-1' };
const alice = 'alice@example.com';
const bob = 'bob@example.com';
const vote = { gateId: 'revoke-1', planHash: 'a'.repeat(64), decision: 'approve', approver: bob };
const from = '2026-12-01T09:00:00Z';

describe('revoked approver keys', function () {
  const revoked = () => [{ key: approverKey(bob).publicKey, from, reason: 'laptop stolen' }];
  const signature = signatureBy(bob, (e) => voteStatement(run, vote, e));
  const statement = voteStatement(run, vote, signature.expiresAt);

  it('refuses an act signed with a revoked key from the revocation on, naming key, time and reason', function () {
    const why = refuseRevokedKey(statement, signature, revoked(), Date.parse(from));
    assert.match(
      why ?? '',
      /^the approve by bob@example.com is signed with ed25519:[0-9a-f]{12}…, revoked from 2026-12-01T09:00:00Z \(laptop stolen\): sign with a key in force/,
    );
    assert.equal(refuseRevokedKey(statement, signature, revoked(), Date.parse(from) - 1), undefined);
  });

  it('lets through another key, an unsigned act (refuseSignature decides those) and no revocations', function () {
    const hers = signatureBy(alice, (e) => voteStatement(run, { ...vote, approver: alice }, e));
    const herStatement = voteStatement(run, { ...vote, approver: alice }, hers.expiresAt);
    assert.equal(refuseRevokedKey(herStatement, hers, revoked(), Date.parse(from) + 1), undefined);
    assert.equal(refuseRevokedKey(statement, undefined, revoked(), Date.parse(from) + 1), undefined);
    assert.equal(refuseRevokedKey(statement, signature, undefined, Date.parse(from) + 1), undefined);
    assert.equal(revokedKeyUsed(statement, signature.value, [], Date.parse(from) + 1), undefined);
  });

  it('the configuration: revokedKeys and rotated evidence keys read, bad ones refused naming the field', function () {
    const retired = generateSigningKey();
    const config = parseWorkerConfig({
      ...asRead,
      approvals: { revokedKeys: revoked() },
      evidence: { previousPublicKeys: [{ publicKey: retired.publicKeyPem, retiredAt: from }] },
    });
    assert.deepEqual(config.approvals.revokedKeys, revoked());
    assert.equal(config.evidence.previousPublicKeys?.[0]?.retiredAt, from);
    // A configuration without either reads as before.
    assert.equal(parseWorkerConfig(asRead).approvals.revokedKeys, undefined);
    for (const [what, raw, field] of [
      [
        'a key that is not one',
        { approvals: { revokedKeys: [{ key: 'abc', from, reason: 'x' }] } },
        /approvals\.revokedKeys\.0\.key/,
      ],
      [
        'no time',
        { approvals: { revokedKeys: [{ key: approverKey(bob).publicKey, from: 'monday', reason: 'x' }] } },
        /approvals\.revokedKeys\.0\.from/,
      ],
      [
        'no reason',
        { approvals: { revokedKeys: [{ key: approverKey(bob).publicKey, from, reason: ' ' }] } },
        /approvals\.revokedKeys\.0\.reason/,
      ],
      [
        'a private key as the public one',
        { evidence: { publicKey: retired.privateKeyPem } },
        /evidence\.publicKey: must be an Ed25519 public key/,
      ],
    ] as const)
      assert.throws(
        () => parseWorkerConfig({ ...asRead, ...raw }),
        (err: Error) => err instanceof WorkerConfigError && field.test(err.message),
        what,
      );
  });

  it('a worker whose evidence.publicKey is not its signing key’s refuses to start, naming both', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-key-'));
    try {
      const keyFile = ensureSigningKeyFile(path.join(dir, 'key.pem'));
      const other = generateSigningKey();
      const config = (publicKey: string) =>
        parseWorkerConfig({
          ...asRead,
          evidence: { directory: dir, signingKeyFile: keyFile, publicKey },
        });
      await assert.rejects(
        createEvidenceStore(config(other.publicKeyPem)),
        (err: Error) =>
          err instanceof WorkerConfigError &&
          /evidence\.publicKey: is sha256:[0-9a-f]{64}, but the signing key is sha256:[0-9a-f]{64}/.test(
            err.message,
          ),
      );
      const store = await createEvidenceStore(config(fs.readFileSync(`${keyFile}.pub`, 'utf8')));
      assert.ok(store.signer);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
