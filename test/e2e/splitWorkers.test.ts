// Least privilege in practice: a read-only worker runs the workflows and every read, a mutating worker
// only the changes, each on its own task queue. The whole runbook (revoke, archive, replacement, deletion)
// completes with the two, and the run's history shows every change scheduled on the mutating queue and
// nothing else there. On the dev server with moto and the OpenAI twin.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { keyWorkflowId } from '../../common/workflowIds';
import type { RunStatus } from '../../providers/runStatus';
import { isMutating, mutatingActivities } from '../../providers/mutatingActivities';
import { watchWorkflowId } from '../../common/watchdog';
import { parseWorkerConfig } from '../../worker/config';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, sandboxWorker, vote } from '../fixtures/revoke';
import type { TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

describe('split workers: read-only and mutating task queues (aws)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('the runbook completes with changes on the mutating queue only', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = { ...awsScenario.request(w, 'key-policy-deny'), deleteAfterDays: 7 };
    const mutatingTaskQueue = `test-mutating-${randomUUID()}`;
    const as = (role: 'read' | 'mutating') => {
      const options = sandboxWorker(w);
      options.config = { ...options.config, role, mutatingTaskQueue };
      return options;
    };
    const env = await devEnvironment();
    const scheduled = await withWorker(
      env,
      () =>
        withWorker(
          env,
          async (ctx) => {
            const handle = await ctx.client.workflow.start(revokeKey, {
              taskQueue: ctx.taskQueue,
              workflowId: keyWorkflowId(request.keyArn),
              args: [request],
            });
            await vote(handle, 'revoke', approvers[0]!);
            await vote(handle, 'archive', approvers[1]!);
            await vote(handle, 'deletion', approvers[0]!);
            const status = (await handle.result()) as RunStatus;
            assert.equal(status.endState, 'completed', status.endReason);
            assert.equal(status.settings?.mutatingTaskQueue, mutatingTaskQueue);
            await ctx.client.workflow
              .getHandle(watchWorkflowId(request.keyArn))
              .terminate('test cleanup')
              .catch(() => undefined);
            const history = await handle.fetchHistory();
            return (history.events ?? []).flatMap((e) => {
              const a = e.activityTaskScheduledEventAttributes;
              return a
                ? [{ name: a.activityType!.name!, queue: a.taskQueue!.name!, runQueue: ctx.taskQueue }]
                : [];
            });
          },
          as('read'),
        ),
      as('mutating'),
    );
    for (const { name, queue, runQueue } of scheduled)
      assert.equal(queue, isMutating(name) ? mutatingTaskQueue : runQueue, `${name} on ${queue}`);
    const changes = new Set(scheduled.filter((s) => isMutating(s.name)).map((s) => s.name));
    for (const name of [
      'revokeAwsAccess',
      'archiveProject',
      'createReplacementKeyOnce',
      'grantOpenAiAccess',
      'registerExternalKeyOnce',
      'createProjectOnce',
      'scheduleAwsKeyDeletion',
    ])
      assert.ok(changes.has(name), `${name} ran on the mutating queue`);
    assert.ok(scheduled.some((s) => s.name === 'recordEvidence' && s.queue === s.runQueue));
  });

  it('a split configuration names a mutating queue of its own', function () {
    assert.throws(
      () => parseWorkerConfig({ role: 'read' }),
      /mutatingTaskQueue: is required for role read: name the queue the mutating worker polls/,
    );
    assert.throws(
      () => parseWorkerConfig({ role: 'mutating', taskQueue: 'q', mutatingTaskQueue: 'q' }),
      /mutatingTaskQueue: must differ from taskQueue/,
    );
    assert.throws(() => parseWorkerConfig({ role: 'admin' }), /role: must be all, read or mutating/);
    // The list is checked against the activities' names by the compiler (`satisfies`); every change
    // behind a gate is in it.
    for (const gated of ['revokeAwsAccess', 'restoreAwsAccess', 'archiveProject', 'rotateAwsKey'])
      assert.ok((mutatingActivities as readonly string[]).includes(gated));
    // createKey belongs to the test harness, not to any product worker.
    assert.ok(!(mutatingActivities as readonly string[]).includes('createKey'));
  });
});
