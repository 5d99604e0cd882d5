// `ekm evidence verify` offline, as an auditor runs it on a copy: exit 0 when everything verifies, 1 when
// anything was changed, naming the record; only a public key given on the command line counts (without
// one: exit 2, the key inside the chain is never trusted).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evidenceActivities } from '../../activities/evidence/recordEvidence';
import { generateSigningKey, signerFromPem } from '../../activities/evidence/signer';
import { directoryEvidenceStore, folderFor } from '../../activities/evidence/store';
import { runCli } from '../fixtures/cli';
import { inRunOf, sampleRevocationStatus } from '../fixtures/evidence';

describe('ekm evidence verify', function () {
  this.timeout(60_000);
  let dir: string;
  let folder: string;
  const key = generateSigningKey();
  const otherKey = generateSigningKey();

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-cli-'));
    const run = sampleRevocationStatus();
    const activities = evidenceActivities(
      directoryEvidenceStore(dir, signerFromPem(key.privateKeyPem, 'test')),
    );
    await inRunOf(run, () => activities.recordEvidence(run));
    folder = path.join(dir, folderFor(run.workflowId), run.runId);
    fs.writeFileSync(path.join(dir, 'worker.pub'), key.publicKeyPem);
    fs.writeFileSync(path.join(dir, 'other.pub'), otherKey.publicKeyPem);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A copy of the run's folder with `edit` applied to one of its files. */
  function tamperedCopy(name: string, edit: (text: string) => string): string {
    const copy = fs.mkdtempSync(path.join(dir, 'copy-'));
    for (const f of fs.readdirSync(folder)) fs.copyFileSync(path.join(folder, f), path.join(copy, f));
    const file = path.join(copy, name);
    const text = fs.readFileSync(file, 'utf8');
    const edited = edit(text);
    assert.notEqual(edited, text);
    fs.writeFileSync(file, edited);
    return copy;
  }

  /** The flags naming the worker's key and the run, as an auditor gives them. */
  const trusted = () => [
    '--public-key',
    path.join(dir, 'worker.pub'),
    '--workflow-id',
    sampleRevocationStatus().workflowId,
    '--run-id',
    sampleRevocationStatus().runId,
  ];

  it('verifies the original folder, and chain.json alone, with the given key; never with the header key alone', async function () {
    const header = await runCli(['evidence', 'verify', folder]);
    assert.equal(header.code, 2, header.stdout);
    assert.match(header.stderr, /needs a key you trust: --public-key FILE/);
    const given = await runCli(['evidence', 'verify', folder, ...trusted()]);
    assert.equal(given.code, 0, given.stderr);
    assert.match(
      given.stdout,
      /^VERIFIED: 10 records .*signed with the given public key sha256:.*evidence\.json matches the chain/,
    );
    const chainOnly = await runCli(['evidence', 'verify', path.join(folder, 'chain.json'), ...trusted()]);
    assert.equal(chainOnly.code, 0, chainOnly.stderr);
    assert.match(chainOnly.stdout, /VERIFIED: 10 records.*with the given public key sha256:/);
  });

  it('a tampered vote in chain.json: exit 1, naming the record', async function () {
    // One byte: the archive approver's name, inside the second gate record (seq 7).
    const copy = tamperedCopy('chain.json', (t) =>
      t.replace('"approver": "bob@example.com"', '"approver": "bob@example.con"'),
    );
    const r = await runCli(['evidence', 'verify', copy, ...trusted()]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /NOT VERIFIED: record 7 \(gate\): its content does not match its hash/);
  });

  it('an edited evidence.json beside an intact chain: exit 1, naming the record it contradicts', async function () {
    const copy = tamperedCopy('evidence.json', (t) =>
      t.replace('"endReason": "the whole runbook"', '"endReason": "the whole runbooK"'),
    );
    const r = await runCli(['evidence', 'verify', copy, ...trusted()]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /NOT VERIFIED: record 9 \(end\): evidence\.json does not hold/);
  });

  it('another public key: exit 1, the chain is not signed with a key you trust', async function () {
    const r = await runCli([
      'evidence',
      'verify',
      folder,
      ...trusted().slice(2),
      '--public-key',
      path.join(dir, 'other.pub'),
    ]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      /NOT VERIFIED: record 9 \(end\): the chain is signed with key sha256:[0-9a-f]{64}, which is not a key you trust/,
    );
  });
});
