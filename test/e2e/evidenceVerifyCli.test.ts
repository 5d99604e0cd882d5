// `ekm evidence verify` offline, as an auditor runs it on a copy: exit 0 when everything verifies, 1 when
// anything was changed, naming the record; a public key given on the command line is the one that counts.
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

  it('verifies the original folder, and chain.json alone, with the header key or the given one', async function () {
    const header = await runCli(['evidence', 'verify', folder]);
    assert.equal(header.code, 0, header.stderr);
    assert.match(
      header.stdout,
      /^VERIFIED: 10 records.*public key in the header.*evidence\.json matches the chain/,
    );
    const given = await runCli([
      'evidence',
      'verify',
      path.join(folder, 'chain.json'),
      '--public-key',
      path.join(dir, 'worker.pub'),
    ]);
    assert.equal(given.code, 0, given.stderr);
    assert.match(given.stdout, /VERIFIED: 10 records.*with the given public key sha256:/);
  });

  it('a tampered vote in chain.json: exit 1, naming the record', async function () {
    // One byte: the archive approver's name, inside the second gate record (seq 7).
    const copy = tamperedCopy('chain.json', (t) =>
      t.replace('"approver": "bob@example.com"', '"approver": "bob@example.con"'),
    );
    const r = await runCli(['evidence', 'verify', copy]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /NOT VERIFIED: record 7 \(gate\): its content does not match its hash/);
  });

  it('an edited evidence.json beside an intact chain: exit 1, naming the record it contradicts', async function () {
    const copy = tamperedCopy('evidence.json', (t) =>
      t.replace('"endReason": "the whole runbook"', '"endReason": "the whole runbooK"'),
    );
    const r = await runCli(['evidence', 'verify', copy]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /NOT VERIFIED: record 9 \(end\): evidence\.json does not hold/);
  });

  it('another public key: exit 1, the signature over the head does not verify', async function () {
    const r = await runCli(['evidence', 'verify', folder, '--public-key', path.join(dir, 'other.pub')]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      /NOT VERIFIED: record 9 \(end\): the signature over the chain head does not verify with the given key/,
    );
  });
});
