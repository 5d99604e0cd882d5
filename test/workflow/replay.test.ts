// Replays recorded histories of the long-running workflows against today's workflow code: a change that
// would break a run already in flight (a reordered step, a new activity without `patched()`) fails here.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../fixtures/environments';
import { replayDir, replayWorkflowId } from '../fixtures/replay';
import { keptBuildProblems } from '../fixtures/buildHistories';

const files = fs.existsSync(replayDir) ? fs.readdirSync(replayDir).filter((f) => f.endsWith('.json')) : [];

describe('replay of recorded histories', function () {
  it('has histories to replay (record them with `npm run replay:record`)', function () {
    assert.ok(files.length >= 5, `only ${files.length} histories under test/replay/`);
  });

  it('keeps only pinned histories for older builds (test/replay/builds/, docs/versioning.md)', function () {
    assert.deepEqual(keptBuildProblems(), []);
  });

  for (const file of files) {
    it(`replays ${file}`, async function () {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(replayDir, file), 'utf8')));
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle() },
        history,
        replayWorkflowId(file),
      );
    });
  }
});
