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
    // Listed raw: the client's list() would decode memos, and the codec tests' runs are encrypted (their
    // ciphertext is scanned as it is stored; the codec test itself proves no plaintext is there).
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await env.client.workflowService.listWorkflowExecutions({
        namespace: env.namespace ?? 'default',
        pageSize: 500,
        nextPageToken,
      });
      for (const info of page.executions ?? []) {
        const workflowId = info.execution?.workflowId ?? '';
        const type = info.type?.name ?? '?';
        const history = await env.client.workflow
          .getHandle(workflowId, info.execution?.runId ?? undefined)
          .fetchHistory();
        const leaked = secretsIn(readableHistory(history));
        if (leaked.length)
          found.push(`${type} ${workflowId}: ${leaked.map((s) => s.slice(0, 12)).join(', ')}…`);
        types.add(type);
        scanned++;
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    // The scan must have had something to scan: the revocation runs and their secrets.
    assert.ok(types.has('revokeKey'), `only ${[...types].join(', ')} found`);
    assert.ok(knownSecrets().length > 3);
    assert.deepEqual(found, [], `secrets in ${found.length} of ${scanned} histories`);
    this.test!.title += ` (${scanned} histories, ${knownSecrets().length} secrets)`;
  });
});
