// What the time-skipping server (Temporal's Java test server) can do for this project, proven against it:
// long durable timers complete in seconds, Updates work, search attributes and summaries are stored.
// Its clock is shared by every workflow on it, so these tests run one at a time (mocha's default).
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { EkmAwaiting, EkmProvider, EkmStage } from '../../common/searchAttributes';
import { timeSkippingEnvironment } from '../fixtures/environments';
import { withWorker } from '../fixtures/worker';
import { approve, awaitApproval, durableTimer, stage } from '../workflows/harness';

const HOUR_MS = 3_600_000;

/**
 * A workflow left running by a failed test keeps timers on the shared clock and tasks on a task queue no
 * worker polls any more, which stalls time skipping for every later test: end it.
 */
async function endLeftover(handle: WorkflowHandle): Promise<void> {
  await handle.terminate('test cleanup').catch(() => undefined);
}

describe('time-skipping server', function () {
  it('completes a workflow with a one-hour durable timer in seconds of wall time', async function () {
    const env = await timeSkippingEnvironment();
    const wallStart = Date.now();
    const result = await withWorker(env, ({ execute }) =>
      execute(durableTimer, { workflowId: `timer-${Date.now()}`, args: ['1 hour'] }),
    );
    const wallSeconds = (Date.now() - wallStart) / 1000;
    assert.ok(result.endedAt - result.startedAt >= HOUR_MS, 'the workflow saw a full hour pass');
    // Not a benchmark: without time skipping this would take an hour; any bound far below that proves it.
    assert.ok(wallSeconds < 600, `took ${wallSeconds}s of wall time`);
    this.test!.title += ` (${wallSeconds.toFixed(1)}s wall)`;
  });

  it('accepts Updates, with their validator, while a workflow waits on a deadline', async function () {
    const env = await timeSkippingEnvironment();
    await withWorker(env, async ({ client, taskQueue, settled }) => {
      const handle = await client.workflow.start(awaitApproval, {
        taskQueue,
        workflowId: `approval-${Date.now()}`,
        args: ['1 hour'],
      });
      try {
        await settled(handle);
        await assert.rejects(handle.executeUpdate(approve, { args: [''] }), (err: Error) =>
          /approver is empty/.test(String((err.cause as Error | undefined)?.message)),
        );
        assert.equal(await handle.executeUpdate(approve, { args: ['alice'] }), 'approved by alice');
        await settled(handle);
        assert.equal(await handle.result(), 'approved by alice');
        assert.equal(await handle.query(stage), 'approved');
      } finally {
        await endLeftover(handle);
      }
    });
  });

  it('skips to a gate’s deadline when nobody answers', async function () {
    const env = await timeSkippingEnvironment();
    const result = await withWorker(env, ({ execute }) =>
      execute(awaitApproval, { workflowId: `expiry-${Date.now()}`, args: ['7 days'] }),
    );
    assert.equal(result, 'expired');
  });

  it('stores search attributes (given at start and upserted) and the static summary and details', async function () {
    const env = await timeSkippingEnvironment();
    await withWorker(env, async ({ client, taskQueue, settled }) => {
      const handle = await client.workflow.start(awaitApproval, {
        taskQueue,
        workflowId: `attrs-${Date.now()}`,
        args: ['1 hour'],
        typedSearchAttributes: [{ key: EkmProvider, value: 'aws' }],
        staticSummary: 'harness: search attributes',
        staticDetails: 'details for the Web UI',
      });
      try {
        await handle.query(stage); // the first workflow task, with its upsert, has run
        const described = await handle.describe();
        assert.equal(described.typedSearchAttributes.get(EkmProvider), 'aws');
        assert.equal(described.typedSearchAttributes.get(EkmStage), 'awaiting-approval');
        assert.deepEqual(described.typedSearchAttributes.get(EkmAwaiting), ['approval:test']);
        assert.equal(await described.staticSummary(), 'harness: search attributes');
        assert.equal(await described.staticDetails(), 'details for the Web UI');
        await handle.executeUpdate(approve, { args: ['bob'] });
        await settled(handle);
        await handle.result();
      } finally {
        await endLeftover(handle);
      }
    });
  });
});
