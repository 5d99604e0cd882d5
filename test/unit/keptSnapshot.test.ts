// What readAccessSnapshot checks before a restore may use a snapshot: the revocation's chain is that run's,
// intact and signed by this worker's own key, and the snapshot's sha256 is the one it records. Real files
// in a directory store; the activities run in the SDK's activity environment.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evidenceActivities } from '../../activities/evidence/recordEvidence';
import { generateSigningKey, signerFromPem, type EvidenceSigner } from '../../activities/evidence/signer';
import { directoryEvidenceStore, folderFor } from '../../activities/evidence/store';
import type { AwsAccessSnapshot } from '../../providers/aws/request';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { inRunOf, sampleRevocationStatus } from '../fixtures/evidence';

const snapshot = {
  takenAt: '2026-12-01T00:00:00.000Z',
  key: { arn: 'arn:aws:kms:us-east-1:1:key/k', keyId: 'k', state: 'Enabled', policy: '{"Statement":[]}' },
  role: {
    arn: 'arn:aws:iam::1:role/r',
    name: 'r',
    trustPolicy: '{}',
    inlinePolicies: [],
    attachedPolicies: [],
  },
  grants: [],
  otherKeyPrincipals: [],
  otherKeysTheRoleCanUse: [],
} as AwsAccessSnapshot;

const signer = (): EvidenceSigner => signerFromPem(generateSigningKey().privateKeyPem, 'test');

/** A revocation that kept the snapshot and recorded its chain, in `dir`, signed by `key` (or unsigned). */
async function revocationIn(dir: string, key: EvidenceSigner | undefined, run = sampleRevocationStatus()) {
  const a = evidenceActivities(directoryEvidenceStore(dir, key));
  const { path: _path, ...kept } = await inRunOf(run, () => a.keepAccessSnapshot({ snapshot }));
  const status: RunStatus<RunSubject> = { ...run, accessSnapshot: kept };
  await inRunOf(run, () => a.recordEvidence(status));
  return { run: status, folder: path.join(dir, folderFor(run.workflowId), run.runId) };
}

describe('a restore reads only a snapshot its signed chain names', function () {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-kept-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const read = (
    key: EvidenceSigner | undefined,
    run: { workflowId: string; runId: string },
    sandbox = false,
  ) =>
    evidenceActivities(directoryEvidenceStore(dir, key), {
      mode: sandbox ? 'sandbox' : 'production',
    }).readAccessSnapshot(run);

  it('answers the snapshot when chain, key and hash all match; the chain records its sha256', async function () {
    const key = signer();
    const { run, folder } = await revocationIn(dir, key);
    assert.deepEqual(await read(key, run), snapshot);
    const chain = JSON.parse(fs.readFileSync(path.join(folder, 'chain.json'), 'utf8')) as {
      records: { kind: string; body: { sha256: string } }[];
    };
    assert.match(chain.records.find((r) => r.kind === 'snapshot')!.body.sha256, /^sha256:[0-9a-f]{64}$/);
  });

  it('refuses a chain signed by another key than this worker’s', async function () {
    const { run } = await revocationIn(dir, signer());
    await assert.rejects(read(signer(), run), (err: Error & { type?: string }) => {
      assert.equal(err.type, 'EvidenceUnverified');
      assert.match(err.message, /not a key you trust/);
      return true;
    });
  });

  it('refuses a valid chain copied into another run’s folder', async function () {
    const key = signer();
    const { folder } = await revocationIn(dir, key);
    const other = { ...sampleRevocationStatus(), runId: '22222222-2222-4222-8222-222222222222' };
    const otherFolder = path.join(dir, folderFor(other.workflowId), other.runId);
    fs.mkdirSync(otherFolder, { recursive: true });
    for (const f of fs.readdirSync(folder)) fs.copyFileSync(path.join(folder, f), path.join(otherFolder, f));
    await assert.rejects(
      read(key, other),
      /the chain in its folder is of .* \/ [0-9a-f-]+; nothing was changed/,
    );
  });

  it('refuses an evidence.json that says something else than the chain', async function () {
    const key = signer();
    const { run, folder } = await revocationIn(dir, key);
    const file = path.join(folder, 'evidence.json');
    const edited = JSON.parse(fs.readFileSync(file, 'utf8')) as RunStatus<RunSubject>;
    (edited.request as { method?: string }).method = 'disable-key';
    fs.chmodSync(file, 0o640);
    fs.writeFileSync(file, JSON.stringify(edited));
    await assert.rejects(read(key, run), /evidence\.json does not hold what this record holds/);
  });

  it('outside the sandbox: refuses without a key of its own, and refuses an unsigned chain', async function () {
    const { run } = await revocationIn(dir, undefined);
    await assert.rejects(read(undefined, run), /this worker has no evidence signing key/);
    await assert.rejects(read(signer(), run), /the chain is unsigned/);
  });

  it('in the sandbox: an unsigned chain is accepted, its snapshot hash still checked', async function () {
    const { run, folder } = await revocationIn(dir, undefined);
    assert.deepEqual(await read(undefined, run, true), snapshot);
    const file = path.join(folder, 'access-snapshot.json');
    fs.chmodSync(file, 0o640);
    fs.writeFileSync(file, JSON.stringify({ ...snapshot, grants: [{ granteePrincipal: 'mallory' }] }));
    await assert.rejects(
      read(undefined, run, true),
      /does not match the sha256:[0-9a-f]{64} its signed evidence/,
    );
  });
});
