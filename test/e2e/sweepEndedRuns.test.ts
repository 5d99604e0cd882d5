// Attack (issue 16, finding 5): a run terminated mid-way left no evidence at all. The sweeper (a workflow
// a Temporal Schedule runs) finds ekm runs that were terminated or timed out without closing evidence and
// records, once, who ended them, why and where they stood — signed, in the worker's evidence store.
// On the dev server with moto and the OpenAI twin.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { canonicalJson } from '../../common/canonicalJson';
import { keyWorkflowId } from '../../common/workflowIds';
import { folderFor } from '../../activities/evidence/store';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import { awsScenario, sandboxWorker, waitForGate } from '../fixtures/revoke';
import type { TwinWorld } from '../fixtures/twin';
import { ok, runCli, scheduledRun } from '../fixtures/cli';
import { devServer } from '../fixtures/services';
import { withWorker } from '../fixtures/worker';

interface EndedRecordFile {
  format: string;
  record: {
    workflowId: string;
    runId: string;
    workflowType: string;
    status: string;
    reason?: string;
    identity?: string;
    lastStep?: string;
    openGate?: string[];
  };
  signature: { algorithm: string; fingerprint: string; publicKey: string; value: string } | null;
}

describe('the sweeper records runs that were terminated (attack)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a revocation terminated mid-run gets one signed record naming terminated, the reason and who; a second sweep adds nothing', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    const env = await devEnvironment();
    const options = sandboxWorker(w);
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [awsScenario.request(w, 'disable-key')],
        });
        await waitForGate(handle, 'revoke');
        const { runId } = await handle.describe();
        await handle.terminate('operator pulled the plug during the approval');
        const history = await handle.fetchHistory();
        const terminated = history.events!.at(-1)!.workflowExecutionTerminatedEventAttributes!;
        assert.ok(terminated, 'the run was terminated');

        const sweep = (n: number) =>
          client.workflow.execute('sweepEndedRuns', {
            taskQueue,
            workflowId: `ekm-sweep-test-${n}-${Date.now()}`,
            args: [{ lookbackSeconds: 3600 }],
            workflowExecutionTimeout: '60s',
          }) as Promise<{ recorded: { workflowId: string; runId: string }[] }>;
        // Visibility is eventually consistent: the first sweep may need a moment to see the closed run.
        let first = await sweep(1);
        for (let i = 2; i < 20 && !first.recorded.some((r) => r.runId === runId); i++) {
          await new Promise((r) => setTimeout(r, 500));
          first = await sweep(i);
        }
        assert.ok(
          first.recorded.some((r) => r.runId === runId),
          JSON.stringify(first),
        );

        const file = path.join(options.evidenceDir, folderFor(handle.workflowId), runId, 'ended.json');
        const ended = JSON.parse(fs.readFileSync(file, 'utf8')) as EndedRecordFile;
        assert.equal(ended.record.workflowId, handle.workflowId);
        assert.equal(ended.record.runId, runId);
        assert.equal(ended.record.workflowType, 'revokeKey');
        assert.equal(ended.record.status, 'terminated');
        assert.equal(ended.record.reason, 'operator pulled the plug during the approval');
        assert.equal(ended.record.identity, terminated.identity);
        assert.deepEqual(ended.record.openGate, ['approval:revoke'], 'where the run stood');
        assert.ok(ended.signature, 'signed like the chains');
        const publicKey = createPublicKey({
          key: Buffer.from(ended.signature.publicKey, 'base64'),
          format: 'der',
          type: 'spki',
        });
        assert.ok(
          verify(
            null,
            Buffer.from(canonicalJson(ended.record)),
            publicKey,
            Buffer.from(ended.signature.value, 'base64'),
          ),
          'the signature verifies',
        );
        const stat = fs.statSync(file);

        const second = await sweep(99);
        assert.ok(!second.recorded.some((r) => r.runId === runId), 'a second sweep records nothing new');
        assert.equal(fs.statSync(file).mtimeMs, stat.mtimeMs);
        const key = await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }));
        assert.equal(
          key.KeyMetadata?.KeyState,
          'Enabled',
          'a terminated run changed nothing, and neither did the sweep',
        );
      },
      options,
    );
  });

  it('`ekm schedule sweep` schedules it; `ekm check` reports it, and says when it is missing', async function () {
    const env = await devEnvironment();
    const cliEnv = { TEMPORAL_ADDRESS: (await devServer()).address, TEMPORAL_NAMESPACE: 'default' };
    const cli = (args: string[]) => runCli(args, cliEnv);
    await withWorker(env, async ({ client, taskQueue }) => {
      const before = JSON.parse(
        ok(await cli(['check', '--task-queue', taskQueue, '--json']), 'check').stdout,
      ) as {
        sweepScheduled: boolean;
      };
      assert.equal(before.sweepScheduled, false);
      const created = JSON.parse(
        ok(await cli(['schedule', 'sweep', '--every', '1h', '--task-queue', taskQueue, '--json']), 'sweep')
          .stdout,
      ) as { scheduleId: string };
      assert.equal(created.scheduleId, `ekm-sweep-schedule:${taskQueue}`);
      try {
        assert.equal((await cli(['schedule', 'sweep', '--task-queue', taskQueue])).code, 4, 'one per queue');
        const after = JSON.parse(
          ok(await cli(['check', '--task-queue', taskQueue, '--json']), 'check').stdout,
        ) as {
          sweepScheduled: boolean;
        };
        assert.equal(after.sweepScheduled, true);
        // Temporal runs what the schedule says (triggered now rather than in an hour).
        await client.schedule.getHandle(created.scheduleId).trigger();
        const swept = (await client.workflow
          .getHandle(await scheduledRun(client, created.scheduleId))
          .result()) as { checked: number; recorded: unknown[] };
        assert.deepEqual(swept, { checked: 0, recorded: [] });
      } finally {
        ok(await cli(['schedule', 'delete', created.scheduleId]), 'delete');
      }
    });
  });
});
