// The fleet's signed record: written by the fleet's evidence activity beside fleet.json, it verifies with
// the worker's key; an edited fleet.json, a child's chain replaced, another fleet's record or a key the
// auditor does not trust are each refused, naming what failed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildChain, chainText } from '../../activities/evidence/chain';
import { fleetEvidenceActivities } from '../../activities/evidence/fleetEvidence';
import { generateSigningKey, signerFromPem } from '../../activities/evidence/signer';
import { directoryEvidenceStore, type EvidenceStore } from '../../activities/evidence/store';
import { verifyFleetRecord } from '../../activities/evidence/verifyFleet';
import { chainFile } from '../../common/evidenceChain';
import { fleetRecordFile, fleetStatusFile } from '../../common/fleetRecord';
import type { FleetStatus } from '../../common/fleetStatus';
import { inRunOf, sampleRevocationStatus } from '../fixtures/evidence';

const keys = generateSigningKey();
const signer = signerFromPem(keys.privateKeyPem, 'test');
const fleetRun = { workflowId: 'ekm-fleet:CHG-1:abc', runId: 'fleet-run-1' };

/** A child's status as the sample, under its own ids. */
function childStatus(i: number) {
  return { ...sampleRevocationStatus(), workflowId: `ekm-key:k${i}`, runId: `child-run-${i}` };
}

function fleetStatus(children: number): FleetStatus {
  return {
    kind: 'fleet',
    ...fleetRun,
    continuedAsNew: 0,
    request: {
      requester: 'rita@example.com',
      reason: 'leak',
      changeTicket: 'CHG-1',
      urgency: 'normal',
      concurrency: 2,
      planOnly: false,
      keys: children,
    },
    stage: 'completed',
    children: Array.from({ length: children }, (_, i) => ({
      index: i,
      workflowId: `ekm-key:k${i}`,
      runId: `child-run-${i}`,
      provider: 'aws',
      key: `k${i}`,
      stage: 'ended' as const,
      endState: 'completed' as const,
    })),
    gates: [],
    tasks: [],
    refusedVotes: [],
    refusedVoteCount: 0,
    endState: 'completed',
    endReason: 'every child ran its runbook to its end',
  };
}

describe('the fleet’s signed record', function () {
  let dir: string;
  let store: EvidenceStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-fleet-record-'));
    store = directoryEvidenceStore(dir, signer);
    for (const i of [0, 1]) {
      const child = childStatus(i);
      await store.write(child.workflowId, child.runId, chainFile, chainText(buildChain(child, signer)));
    }
    await inRunOf(
      fleetRun,
      () => fleetEvidenceActivities(store).recordFleetEvidence(fleetStatus(2)),
      'revokeFleet',
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const read = (workflowId: string, runId: string, file: string) => store.read(workflowId, runId, file);
  const verify = async (
    trust: { publicKey?: string } = { publicKey: keys.publicKeyPem },
    expected = fleetRun,
  ) =>
    verifyFleetRecord(
      {
        record: (await read(fleetRun.workflowId, fleetRun.runId, fleetRecordFile))!,
        fleetJson: (await read(fleetRun.workflowId, fleetRun.runId, fleetStatusFile))!,
      },
      (w, r) => read(w, r, chainFile),
      { ...trust, expected },
    );
  /** Replaces a stored file's bytes as someone with write access to the store would. */
  const overwrite = (workflowId: string, runId: string, file: string, edit: (text: string) => string) => {
    const found = fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name === file)
      .map((e) => path.join(e.parentPath, e.name))
      .find((f) => f.includes(encodeURIComponent(runId)) || f.includes(runId));
    assert.ok(found, `${file} of ${workflowId} ${runId}`);
    fs.chmodSync(found, 0o644);
    fs.writeFileSync(found, edit(fs.readFileSync(found, 'utf8')));
  };

  it('verifies with the worker’s key: fleet.json as signed, both children’s chains as recorded', async function () {
    const verdict = await verify();
    assert.equal(verdict.ok, true, verdict.summary);
    assert.match(verdict.summary, /2 of 2 children's chains/);
    assert.equal(verdict.fingerprint, signer.fingerprint);
  });

  it('a fleet.json edited after it was written is refused', async function () {
    overwrite(fleetRun.workflowId, fleetRun.runId, fleetStatusFile, (t) =>
      t.replace('"completed"', '"partial"'),
    );
    const verdict = await verify();
    assert.equal(verdict.ok, false);
    assert.match(verdict.summary, /fleet\.json is not the one the record signed/);
  });

  it('a child’s chain replaced by another (validly signed) one is refused, naming the child', async function () {
    const forged = { ...childStatus(1), endReason: 'rewritten later' };
    overwrite('ekm-key:k1', 'child-run-1', chainFile, () => chainText(buildChain(forged, signer)));
    const verdict = await verify();
    assert.equal(verdict.ok, false);
    assert.match(verdict.summary, /the chain of child ekm-key:k1 run child-run-1 has head/);
  });

  it('the record of another fleet, a key the auditor does not trust, or no key at all: not verified', async function () {
    const elsewhere = await verify(undefined, { workflowId: 'ekm-fleet:CHG-2:other', runId: fleetRun.runId });
    assert.match(elsewhere.summary, /not of ekm-fleet:CHG-2:other/);
    const stranger = await verify({ publicKey: generateSigningKey().publicKeyPem });
    assert.equal(stranger.ok, false);
    assert.match(stranger.summary, /not a key you trust/);
    const none = await verify({});
    assert.equal(none.ok, false);
    assert.equal(none.untrusted, true);
  });
});
