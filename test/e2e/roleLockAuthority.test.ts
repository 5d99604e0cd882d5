// Attack (issue 16, finding 5): anyone with namespace access could start a `roleLock` workflow under a
// role's lock id and so refuse every revocation through that role. Now runs take turns in the role's queue
// (issue 18): a queue started by hand with a made-up holder, or a forged ask naming a run that never asked,
// holds nothing; the old-style lock (kept for runs recorded before) still ends at once when anyone else
// starts it. And a revocation whose start is not signed, on a production worker, ends without holding its
// role. On the dev server with moto and the twin.
import assert from 'node:assert/strict';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { roleTurnNames, type RoleQueueView } from '../../common/roleTurns';
import { keyWorkflowId, roleLockWorkflowId, roleQueueWorkflowId } from '../../common/workflowIds';
import { roleLock } from '../../workflows/roleLock';
import { roleQueue } from '../../workflows/roleQueue';
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

/** The role's inline policies in moto: the seeded one lets OpenAI use the key. */
async function inlinePolicyCount(w: TwinWorld): Promise<number> {
  const RoleName = w.demo.aws.roleArn.split('/').pop()!;
  return (await w.iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames?.length ?? 0;
}

describe('role locks are held only for the runs they serve (attack)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a roleQueue started directly with a made-up holder, and a roleLock started directly, hold nothing: the revocation gets its turn', async function () {
    const w = (world = await awsScenario.world('remove-key-permission', 2));
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const role = w.demo.aws.roleArn;
        const keyId = keyWorkflowId(w.demo.aws.keyArn);
        // The attackers: a queue claiming the key's run holds the role, and an old-style lock with no parent.
        const squatter = await client.workflow.start(roleQueue, {
          taskQueue,
          workflowId: roleQueueWorkflowId(role),
          args: [{ role, holder: { workflowId: keyId, runId: 'made-up', askedAt: '', since: '' } }],
        });
        const oldLock = await client.workflow.start(roleLock, {
          taskQueue,
          workflowId: roleLockWorkflowId(role),
          args: [keyId],
        });
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyId,
          args: [awsScenario.request(w, 'remove-key-permission')],
        });
        try {
          const gate = await waitForGate(handle, 'revoke');
          assert.ok(gate.planHash, 'the revocation reached its gate: it holds the role');
          const queue = client.workflow.getHandle(roleQueueWorkflowId(role));
          const view = await queue.query<RoleQueueView>(roleTurnNames.queueQuery);
          assert.equal(view.holder?.runId, handle.firstExecutionRunId, 'the turn is the run’s own');
          // Dropped at the squatter's first check: that queue ended empty, or the run's ask found it still open.
          const squatterRun = client.workflow.getHandle(
            roleQueueWorkflowId(role),
            squatter.firstExecutionRunId,
          );
          const current = await queue.describe();
          const earlier =
            current.runId === squatter.firstExecutionRunId ? [] : (await squatterRun.result()).refused;
          const refused = [...view.refused, ...earlier];
          assert.ok(
            refused.some((r) => r.turn.runId === 'made-up'),
            `the made-up holder was dropped: ${JSON.stringify(refused)}`,
          );
          const squatted = await client.workflow
            .getHandle(roleLockWorkflowId(role), oldLock.firstExecutionRunId)
            .describe();
          assert.equal(squatted.status.name, 'FAILED', 'the old-style lock ended at once');
          await assert.rejects(oldLock.result(), (err: Error & { cause?: Error }) =>
            /refused, nothing held: it was started directly/.test(err.cause?.message ?? ''),
          );
          assert.equal(await inlinePolicyCount(w), 1, 'nothing changed before the approval');
        } finally {
          await handle.terminate('test over').catch(() => undefined);
          await squatter.terminate('test over').catch(() => undefined);
          await oldLock.terminate('test over').catch(() => undefined);
        }
      },
      sandboxWorker(w),
    );
  });

  it('a forged ask naming a running revocation that never asked (a key-only method), or a run that does not exist, gets no turn', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const role = w.demo.aws.roleArn;
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [awsScenario.request(w, 'disable-key')],
        });
        try {
          await waitForGate(handle, 'revoke');
          await assert.rejects(
            client.workflow.getHandle(roleQueueWorkflowId(role)).describe(),
            /not found/i,
            'a key-only method asks for no turn',
          );
          const forged = [
            { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, askedAt: '' },
            { workflowId: 'ekm-key:nobody', runId: 'made-up', askedAt: '' },
          ];
          const queue = await client.workflow.signalWithStart(roleQueue, {
            taskQueue,
            workflowId: roleQueueWorkflowId(role),
            args: [{ role }],
            signal: roleTurnNames.ask,
            signalArgs: [forged[0]!],
          });
          await queue.signal(roleTurnNames.ask, forged[1]!).catch(() => undefined);
          const view = await queue.result();
          assert.equal(view.holder, undefined, 'nobody holds the role');
          assert.equal(view.served, 0);
          assert.match(view.refused[0]?.why ?? '', /says it never asked for a turn/);
          if (view.refused[1]) assert.match(view.refused[1].why, /is not known to Temporal/);
          assert.equal(await keyState(w), 'Enabled');
        } finally {
          await handle.terminate('test over').catch(() => undefined);
          await client.workflow
            .getHandle(roleQueueWorkflowId(w.demo.aws.roleArn))
            .terminate('test over')
            .catch(() => undefined);
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
    const w = (world = await awsScenario.world('remove-key-permission', 2));
    const env = await devEnvironment();
    const options = sandboxWorker(w, { revoke: { cacheWaitSeconds: 3600 } });
    options.config!.sandbox = false;
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [awsScenario.request(w, 'remove-key-permission')],
        });
        const status = (await handle.result()) as RunStatus;
        assert.equal(status.endState, 'refused');
        assert.match(status.endReason ?? '', /start refused/);
        assert.equal((await handle.describe()).status.name, 'COMPLETED', 'the key’s id is free again');
        for (const id of [roleLockWorkflowId(w.demo.aws.roleArn), roleQueueWorkflowId(w.demo.aws.roleArn)])
          await assert.rejects(
            client.workflow.getHandle(id).describe(),
            /not found/i,
            'no lock or turn was ever taken on the role',
          );
        assert.equal(await inlinePolicyCount(w), 1);
      },
      options,
    );
  });
});
