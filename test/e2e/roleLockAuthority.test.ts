// Attack (issue 16, finding 5): anyone with namespace access could start a `roleLock` workflow under a
// role's lock id and so refuse every revocation through that role. A lock is held only for the run that
// serves it: one started by anyone else ends at once, holding nothing. And a revocation whose start is not
// signed, on a production worker, ends without holding its role. On the dev server with moto and the twin.
import assert from 'node:assert/strict';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { keyWorkflowId, roleLockWorkflowId } from '../../common/workflowIds';
import { roleLock } from '../../workflows/roleLock';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import { awsScenario, sandboxWorker, waitForGate } from '../fixtures/revoke';
import type { TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';
import { lockRoleFromElsewhere } from '../workflows/lockRoleFromElsewhere';
import type { RunStatus } from '../../providers/runStatus';

async function keyState(w: TwinWorld): Promise<string | undefined> {
  return (await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }))).KeyMetadata?.KeyState;
}

describe('role locks are held only for the runs they serve (attack)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a roleLock started directly under the role’s lock id holds nothing: the revocation proceeds', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const lockId = roleLockWorkflowId(w.demo.aws.roleArn);
        // The attacker: a lock with no parent, claiming to be held by the key's run.
        const squatter = await client.workflow.start(roleLock, {
          taskQueue,
          workflowId: lockId,
          args: [keyWorkflowId(w.demo.aws.keyArn)],
        });
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [awsScenario.request(w, 'disable-key')],
        });
        try {
          const gate = await waitForGate(handle, 'revoke');
          assert.ok(gate.planHash, 'the revocation reached its gate: it holds the role');
          const held = await client.workflow.getHandle(lockId).describe();
          assert.equal(held.status.name, 'RUNNING');
          assert.equal(held.parentExecution?.workflowId, handle.workflowId, 'the lock is the run’s own');
          const squatterRun = client.workflow.getHandle(lockId, squatter.firstExecutionRunId);
          const squatted = await squatterRun.describe();
          assert.equal(squatted.status.name, 'FAILED', 'the squatter’s lock ended at once');
          await assert.rejects(squatterRun.result(), (err: Error & { cause?: Error }) =>
            /refused, nothing held: it was started directly/.test(err.cause?.message ?? ''),
          );
          assert.equal(await keyState(w), 'Enabled', 'nothing changed before the approval');
        } finally {
          await handle.terminate('test over').catch(() => undefined);
          await squatter.terminate('test over').catch(() => undefined);
        }
      },
      sandboxWorker(w),
    );
  });

  it('a roleLock started as the child of a run that does not lock roles holds nothing: refused, naming the parent’s type', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const err = await client.workflow
          .execute(lockRoleFromElsewhere, {
            taskQueue,
            workflowId: `attack-lock-${Date.now()}`,
            args: [w.demo.aws.roleArn],
            workflowExecutionTimeout: '30s',
          })
          .then(
            () => undefined,
            (e: Error & { cause?: Error & { cause?: Error } }) => e,
          );
        assert.ok(err, 'the lock did not hold');
        assert.match(
          err.cause?.cause?.message ?? err.cause?.message ?? '',
          /refused, nothing held: its parent .* is a lockRoleFromElsewhere run, and only revokeKey and restoreAccess lock roles/,
        );
        const lock = await client.workflow.getHandle(roleLockWorkflowId(w.demo.aws.roleArn)).describe();
        assert.equal(lock.status.name, 'FAILED', 'the lock id is free');
        assert.equal(await keyState(w), 'Enabled');
      },
      sandboxWorker(w),
    );
  });

  it('an unsigned revocation on a production worker ends refused at once, holding neither the key’s id nor the role', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    const env = await devEnvironment();
    const options = sandboxWorker(w, { revoke: { cacheWaitSeconds: 3600 } });
    options.config!.sandbox = false;
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [awsScenario.request(w, 'disable-key')],
        });
        const status = (await handle.result()) as RunStatus;
        assert.equal(status.endState, 'refused');
        assert.match(status.endReason ?? '', /start refused/);
        assert.equal((await handle.describe()).status.name, 'COMPLETED', 'the key’s id is free again');
        await assert.rejects(
          client.workflow.getHandle(roleLockWorkflowId(w.demo.aws.roleArn)).describe(),
          /not found/i,
          'no lock was ever taken on the role',
        );
        assert.equal(await keyState(w), 'Enabled');
      },
      options,
    );
  });
});
