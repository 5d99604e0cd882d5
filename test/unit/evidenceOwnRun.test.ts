// Issue 16, finding 3: the evidence activities write under the run that called them — its workflow id and
// run id from the activity's own context, never from what the run hands them — and only for the workflow
// types that record evidence. In the SDK's activity environment (the context a worker gives an activity).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { evidenceActivities } from '../../activities/evidence/recordEvidence';
import { sandboxSigner } from '../../activities/evidence/signer';
import { directoryEvidenceStore, folderFor } from '../../activities/evidence/store';
import { sampleRevocationStatus } from '../fixtures/evidence';

function calledFrom(workflowType: string, workflowId: string, runId: string) {
  return new MockActivityEnvironment({
    workflowType,
    workflowExecution: { workflowId, runId },
  });
}

describe('evidence activities write only under their own run', function () {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-own-run-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a revokeKey run handing another run’s status to recordEvidence is refused; nothing is written under that run', async function () {
    const store = directoryEvidenceStore(dir, sandboxSigner(dir));
    const activities = evidenceActivities(store);
    const victim = sampleRevocationStatus();
    const env = calledFrom('revokeKey', 'ekm-key:attacker', '11111111-1111-4111-8111-111111111111');
    await assert.rejects(env.run(activities.recordEvidence, victim), (err: Error & { type?: string }) => {
      assert.equal(err.type, 'EvidenceNotOwnRun');
      assert.match(err.message, /names run .* but this activity runs for ekm-key:attacker/);
      return true;
    });
    await assert.rejects(
      env.run(activities.keepAccessSnapshot, {
        workflowId: victim.workflowId,
        runId: victim.runId,
        snapshot: { takenAt: 'x' } as never,
      }),
      /EvidenceNotOwnRun|names run/,
    );
    assert.ok(!fs.existsSync(path.join(dir, folderFor(victim.workflowId))), 'nothing under the victim run');
  });

  it('a workflow type that records no evidence is refused, naming its type', async function () {
    const activities = evidenceActivities(directoryEvidenceStore(dir, sandboxSigner(dir)));
    const victim = sampleRevocationStatus();
    const env = calledFrom('forgeEvidence', victim.workflowId, victim.runId);
    await assert.rejects(
      env.run(activities.recordEvidence, victim),
      /forgeEvidence.*does not record evidence/,
    );
    assert.ok(!fs.existsSync(path.join(dir, folderFor(victim.workflowId))));
  });

  it('the run’s own status is written under its own run', async function () {
    const activities = evidenceActivities(directoryEvidenceStore(dir, sandboxSigner(dir)));
    const own = sampleRevocationStatus();
    const env = calledFrom('revokeKey', own.workflowId, own.runId);
    const written = (await env.run(activities.recordEvidence, own)) as { json: string };
    assert.equal(path.dirname(written.json), path.join(dir, folderFor(own.workflowId), own.runId));
  });
});
