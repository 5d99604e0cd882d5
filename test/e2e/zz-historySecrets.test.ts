// Runs last among the end-to-end tests (files load in name order): every history the runs left on the
// dev server — completed, failed, cancelled, refused — fetched and scanned, payloads decoded, for every
// secret the tests handed out. No secret may ever enter a workflow payload.
import assert from 'node:assert/strict';
import { devEnvironment } from '../fixtures/environments';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cliOutputsChecked,
  evidenceDirsSeen,
  knownSecrets,
  readableHistory,
  readableLog,
  secretsIn,
} from '../fixtures/secrets';
import { projectRoot } from '../../sandbox/paths';
import { workerLogLines } from '../fixtures/workerLog';

/** Every file under a folder (evidence: records, chains, snapshots, keys). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

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

  it('nor in anything the `ekm` binary printed (human and --json output, errors)', function () {
    const runs = cliOutputsChecked();
    assert.ok(runs.length > 10, `only ${runs.length} CLI runs were checked`);
    const leaks = runs.filter((r) => r.leaked.length).map((r) => r.what);
    assert.deepEqual(leaks, [], 'CLI output with a secret in it');
    this.test!.title += ` (${runs.length} runs)`;
  });

  it('nor in any evidence file the test workers wrote', function () {
    const files = evidenceDirsSeen().flatMap(filesUnder);
    assert.ok(
      files.some((f) => f.endsWith('chain.json')),
      'the scan found evidence to read',
    );
    const leaks = files.filter((f) => secretsIn(fs.readFileSync(f, 'utf8')).length);
    assert.deepEqual(leaks, [], 'evidence files with a secret in them');
    this.test!.title += ` (${files.length} files)`;
  });

  it('nor in any worker log: the in-process workers’ (every level) and the log files of the processes the tests ran', function () {
    const lines = workerLogLines();
    assert.ok(lines.length > 100, `only ${lines.length} worker log lines were kept`);
    const leakedLines = lines.filter((l) => secretsIn(l).length).map((l) => l.slice(0, 200));
    assert.deepEqual(leakedLines, [], 'worker log lines with a secret in them');
    // Worker processes (the chaos suite's crash test, the production suite's telemetry test: JSON lines,
    // read unescaped too), the servers and the browser log to files.
    const logFiles = filesUnder(path.join(projectRoot, '.data', 'test')).filter((f) => f.endsWith('.log'));
    assert.ok(logFiles.length > 0, 'the scan found log files to read');
    const leakedFiles = logFiles.filter((f) => secretsIn(readableLog(fs.readFileSync(f, 'utf8'))).length);
    assert.deepEqual(leakedFiles, [], 'log files with a secret in them');
    this.test!.title += ` (${lines.length} lines, ${logFiles.length} files)`;
  });
});
