// Attack (issue 16, Build): the watchdog cancelling the deletion of the key it watches stays automatic,
// but only a `watchKeyDeletion` run whose id is that key's watch id may cancel it, and only when the
// worker's configuration enables it. A workflow registered only in the test bundle calls the cancel on a
// key pending deletion: refused, and moto's key is still PendingDeletion. On the dev server with moto.
import assert from 'node:assert/strict';
import { DescribeKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { WorkflowFailedError } from '@temporalio/client';
import { devEnvironment } from '../fixtures/environments';
import { sandboxWorker } from '../fixtures/revoke';
import { startTwinWorld, type TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';
import { cancelDeletionOutsideWatch } from '../workflows/cancelDeletionOutsideWatch';
import { watchWorkflowId } from '../../common/watchdog';

async function keyState(w: TwinWorld): Promise<string | undefined> {
  return (await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }))).KeyMetadata?.KeyState;
}

describe('the watchdog’s cancel is bound to the watch of that key (attack)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  for (const [what, workflowId] of [
    ['a run of another type', (arn: string) => `attack-${arn}-${Date.now()}`],
    ['a run of another type under the key’s watch id', watchWorkflowId],
  ] as const)
    it(`cancelAwsKeyDeletion from ${what}: refused, the key stays PendingDeletion`, async function () {
      const w = (world = await startTwinWorld());
      await w.kms.send(new ScheduleKeyDeletionCommand({ KeyId: w.demo.aws.keyId, PendingWindowInDays: 7 }));
      assert.equal(await keyState(w), 'PendingDeletion');
      await withWorker(
        await devEnvironment(),
        async ({ client, taskQueue }) => {
          const run = client.workflow.execute(cancelDeletionOutsideWatch, {
            taskQueue,
            workflowId: workflowId(w.demo.aws.keyArn),
            args: [w.demo.aws.keyArn],
          });
          const err = await run.then(
            () => undefined,
            (e: unknown) => e,
          );
          assert.ok(err instanceof WorkflowFailedError, 'the cancel was refused');
          const cause = (err.cause as Error & { cause?: Error })?.cause;
          assert.match(
            cause?.message ?? '',
            /refused to cancel the deletion.*watchKeyDeletion/,
            'the refusal names what was refused',
          );
          assert.equal(await keyState(w), 'PendingDeletion', 'moto: the deletion is still scheduled');
        },
        // Even with the automatic cancel enabled: it belongs to the key's watch only.
        sandboxWorker(w, { watchdog: { cancelDeletionOnUse: true } }),
      );
    });
});
