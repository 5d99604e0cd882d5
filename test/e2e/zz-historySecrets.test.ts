// Runs last among the end-to-end tests (files load in name order): every history the runs left on the
// dev server — completed, failed, cancelled, refused — fetched and scanned, payloads decoded, for every
// secret the tests handed out. No secret may ever enter a workflow payload.
import assert from 'node:assert/strict';
import { devEnvironment } from '../fixtures/environments';
import { knownSecrets, readableHistory, secretsIn } from '../fixtures/secrets';

describe('no secret in any history', function () {
  it('scans every workflow the end-to-end runs left on the dev server', async function () {
    const env = await devEnvironment();
    const found: string[] = [];
    const types = new Set<string>();
    let scanned = 0;
    for await (const run of env.client.workflow.list()) {
      const history = await env.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const leaked = secretsIn(readableHistory(history));
      if (leaked.length)
        found.push(`${run.type} ${run.workflowId}: ${leaked.map((s) => s.slice(0, 12)).join(', ')}…`);
      types.add(run.type);
      scanned++;
    }
    // The scan must have had something to scan: the revocation runs and their secrets.
    assert.ok(types.has('revokeKey'), `only ${[...types].join(', ')} found`);
    assert.ok(knownSecrets().length > 3);
    assert.deepEqual(found, [], `secrets in ${found.length} of ${scanned} histories`);
    this.test!.title += ` (${scanned} histories, ${knownSecrets().length} secrets)`;
  });
});
