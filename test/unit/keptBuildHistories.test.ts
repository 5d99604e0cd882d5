// The rule for histories kept per build (test/fixtures/buildHistories.ts): a pinned type's history may
// leave test/replay/ for its build's folder, an auto-upgrade type's may not; the folder names its commit.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keptBuildProblems } from '../fixtures/buildHistories';
import { replayDir } from '../fixtures/replay';

describe('histories kept for an older build', function () {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-kept-builds-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const keep = (buildId: string, history: string, record: object = { buildId, commit: 'cdfe16aab7c3' }) => {
    fs.mkdirSync(path.join(dir, buildId), { recursive: true });
    fs.copyFileSync(path.join(replayDir, history), path.join(dir, buildId, history));
    fs.writeFileSync(path.join(dir, buildId, 'build.json'), JSON.stringify(record));
  };

  it('takes a pinned revocation kept under the build that serves it', function () {
    keep('0.1.0-cdfe16aab7c3', 'revokeKey-completed-disable-key.json');
    assert.deepEqual(keptBuildProblems(dir), []);
  });

  it("refuses the role queue's history: its runs move to every new build", function () {
    keep('0.1.0-cdfe16aab7c3', 'roleQueue-two-turns.json');
    const problems = keptBuildProblems(dir);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /roleQueue is AUTO_UPGRADE, not pinned: .* stays in test\/replay\//);
  });

  it('refuses a folder whose build.json does not name its build and commit', function () {
    keep('0.1.0-cdfe16aab7c3', 'revokeKey-completed-disable-key.json', { buildId: 'other' });
    const problems = keptBuildProblems(dir).join('\n');
    assert.match(problems, /buildId must be 0\.1\.0-cdfe16aab7c3/);
    assert.match(problems, /commit must be the commit the build was made from/);
  });
});
