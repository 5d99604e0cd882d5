// The ownership marker: only the secret's holder can write it, it names one run and step, and a production
// worker refuses to start without the secret.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOwnership, ownershipFromSecret, OwnershipSecretError } from '../../activities/ownership';

const run = { workflowId: 'ekm-key:k', runId: '019af3c2-0000-7000-8000-000000000001' };
const secret = 'a-secret-of-at-least-thirty-two-characters';

describe('ownership markers', function () {
  it('recognise what the same secret marked for the same run and step, and nothing else', function () {
    const ours = ownershipFromSecret(secret, () => run);
    const marker = ours.marker('replacement-key');
    assert.match(marker, /^[0-9a-f]{40}$/);
    assert.equal(ours.isOurs('replacement-key', marker), true);
    assert.equal(ours.isOurs('replacement-key-2', marker), false, 'another step');
    const otherRun = ownershipFromSecret(secret, () => ({ ...run, runId: `${run.runId.slice(0, -1)}2` }));
    assert.equal(otherRun.isOurs('replacement-key', marker), false, 'another run');
    const otherSecret = ownershipFromSecret(`${secret}!`, () => run);
    assert.equal(otherSecret.isOurs('replacement-key', marker), false, 'another secret');
    assert.equal(ours.isOurs('replacement-key', undefined), false);
    assert.equal(ours.isOurs('replacement-key', 'not hex'), false);
  });

  it('a production worker needs the secret; a sandbox worker keeps its own across restarts', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-ownership-'));
    const options = { secretEnv: 'EKM_OWNERSHIP_SECRET', sandbox: false, evidenceDirectory: dir };
    assert.throws(() => loadOwnership(options, {}), OwnershipSecretError);
    assert.throws(
      () => loadOwnership(options, { EKM_OWNERSHIP_SECRET: 'short' }),
      /needs at least 32.*openssl rand -base64 32/,
    );
    assert.doesNotThrow(() => loadOwnership(options, { EKM_OWNERSHIP_SECRET: secret }));
    loadOwnership({ ...options, sandbox: true }, {});
    const file = path.join(dir, '.ownership-secret');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const kept = fs.readFileSync(file, 'utf8');
    loadOwnership({ ...options, sandbox: true }, {});
    assert.equal(fs.readFileSync(file, 'utf8'), kept, 'a restart keeps the same secret');
  });
});
