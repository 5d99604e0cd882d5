// `ekm rotate` and `ekm schedule` through the binary, as a security engineer would use them: bad flags
// refused before Temporal is contacted, a rotation started by alias, approved with `ekm approve` and
// followed to its end with `ekm status`, and recurring checks created, listed, run (triggered) and deleted as Temporal Schedules.
// On the dev server with a sandbox worker, moto and the OpenAI twin.
import assert from 'node:assert/strict';
import { ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { freePort } from '../../sandbox/ports';
import type { AwsRotateKeyRequest } from '../../providers/aws/rotateRequest';
import type { RunStatus } from '../../providers/runStatus';
import type { VerifyKeyUsageResult } from '../../providers/usageRequests';
import type { WatchResult } from '../../providers/watchRequests';
import { cliRunOf, runCli, ok, scheduledRun } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, requester, sandboxWorker } from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import type { TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const scheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

type StatusJson = RunStatus<AwsRotateKeyRequest> & { execution: { status: string } };

describe('ekm CLI: rotate and schedules', function () {
  let env: NodeJS.ProcessEnv;
  let world: TwinWorld | undefined;
  const cli = (args: string[], more: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...more });

  before(async function () {
    env = {
      TEMPORAL_ADDRESS: (await devServer()).address,
      TEMPORAL_NAMESPACE: 'default',
      EKM_USER: requester,
    };
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('bad flags exit 2 naming the flag and the fix, before Temporal is contacted', async function () {
    const nowhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
    const key = ['--key', 'alias/ekm-demo', '--role', 'arn:aws:iam::111122223333:role/openai-ekm'];
    const why = ['--external-key', 'extkey_abc', '--reason', 'yearly', '--ticket', 'CHG-1'];
    const cases: [string[], RegExp][] = [
      [
        ['rotate', ...key, '--repoint-alias', 'alias/other', ...why],
        /--repoint-alias: is refused: switching an alias to another key is a key revocation/,
      ],
      [['rotate', ...key, ...why], /--now \/ --period: give exactly one/],
      [['rotate', ...key, '--now', '--period', '365d', ...why], /--now \/ --period: give exactly one/],
      [['rotate', ...key, '--period', '30d', ...why], /--now \/ --period: must be at least 90 days/],
      [['rotate', ...key, '--period', 'yearly', ...why], /--period yearly: must be a number of days/],
      [
        ['rotate', ...key, '--now', '--reason', 'x', '--ticket', 'CHG-1'],
        /--external-key: or probes: name at least one/,
      ],
      [
        ['schedule', 'usage', ...key, '--every', 'daily'],
        /--every daily: give a length such as 30m, 24h or 7d/,
      ],
      [['schedule', 'usage', ...key, '--every', '100d'], /--every: must be at most 90 days/],
      [['schedule', 'delete', 'my-schedule'], /<scheduleId>: my-schedule is not an ekm schedule id/],
    ];
    for (const [args, expected] of cases) {
      const run = await cli(args, nowhere);
      assert.equal(run.code, 2, `${args.join(' ')}\n${run.stderr}`);
      assert.match(run.stderr, expected);
    }
  });

  it('rotate now by alias, approved with `ekm approve`, followed with `ekm status` to its end', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const r = awsScenario.rotateRequest(w, { kind: 'now' });
    await withWorker(
      await devEnvironment(),
      async ({ taskQueue }) => {
        const started = ok(
          await cli([
            'rotate',
            ...['--key', w.demo.aws.keyAlias, '--role', r.roleArn, '--now'],
            ...['--external-key', r.externalKeyId!],
            ...r.probes!.flatMap((p) => ['--probe', `${p.projectId}:${p.kind}:${p.id}`]),
            ...['--reason', r.reason, '--ticket', r.changeTicket, '--task-queue', taskQueue, '--json'],
          ]),
          'rotate',
        );
        const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
        assert.equal(workflowId, `ekm-key:${w.demo.aws.keyArn}`, 'the alias was resolved to the key ARN');
        // Every rotation waits for its gate: approved with `ekm approve`, as the approver would.
        const gate = await cliRunOf(cli, workflowId).gateOpen('rotate');
        ok(
          await cli(['approve', workflowId, '--as', approvers[0]!, '--plan', gate.planHash.slice(0, 12)]),
          'approve',
        );
        let status: StatusJson | undefined;
        for (let i = 0; i < 120 && !status?.endState; i++) {
          await new Promise((res) => setTimeout(res, 500));
          const out = await cli(['status', workflowId, '--json']);
          if (out.code === 0) status = JSON.parse(out.stdout) as StatusJson;
        }
        assert.equal(status?.endState, 'rotated', status?.endReason);
        assert.equal(status.execution.status, 'COMPLETED');
        const human = ok(await cli(['status', workflowId]), 'status');
        assert.match(human.stdout, /request {4}rotate now on arn:aws:kms:/);
        const { Rotations } = await w.kms.send(new ListKeyRotationsCommand({ KeyId: w.demo.aws.keyId }));
        assert.equal(Rotations?.length, 1);
      },
      sandboxWorker(w),
    );
  });

  it('schedule usage and watch: created, listed, run by Temporal, deleted', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const temporal = await devEnvironment();
    const { client } = temporal;
    await withWorker(
      temporal,
      async ({ taskQueue }) => {
        const usage = JSON.parse(
          ok(
            await cli([
              'schedule',
              'usage',
              ...['--key', w.demo.aws.keyAlias, '--role', w.demo.aws.roleArn, '--every', '24h'],
              ...['--task-queue', taskQueue, '--json'],
            ]),
            'schedule usage',
          ).stdout,
        ) as { scheduleId: string };
        assert.equal(usage.scheduleId, `ekm-usage-schedule:${w.demo.aws.keyArn}`);
        const again = await cli([
          'schedule',
          'usage',
          ...['--key', w.demo.aws.keyArn, '--role', w.demo.aws.roleArn, '--task-queue', taskQueue],
        ]);
        assert.equal(again.code, 4, 'one usage schedule per key');
        const watch = JSON.parse(
          ok(
            await cli([
              'schedule',
              'watch',
              '--key',
              w.demo.aws.keyArn,
              '--every',
              '1h',
              '--task-queue',
              taskQueue,
              '--json',
            ]),
            'schedule watch',
          ).stdout,
        ) as { scheduleId: string };

        const listed = JSON.parse(ok(await cli(['schedule', 'list', '--json']), 'list').stdout) as {
          scheduleId: string;
        }[];
        for (const id of [usage.scheduleId, watch.scheduleId])
          assert.ok(
            listed.some((s) => s.scheduleId === id),
            `${id} listed`,
          );

        // Jitter spreads schedules set up together (a tenth of the interval, at most five minutes).
        const described = await client.schedule.getHandle(usage.scheduleId).describe();
        assert.equal(described.spec.jitter, 300_000);

        // Temporal runs what the schedule says (triggered now rather than in a day).
        await client.schedule.getHandle(usage.scheduleId).trigger();
        const usageHandle = client.workflow.getHandle(await scheduledRun(client, usage.scheduleId));
        const usageRun = (await usageHandle.result()) as VerifyKeyUsageResult;
        // The window ends when the schedule meant the run to start, not when the jittered run began.
        const meant = (await usageHandle.describe()).typedSearchAttributes.get(scheduledStartTime);
        assert.equal(usageRun.usage.until, meant?.toISOString());
        assert.ok(
          usageRun.usage.successful >= 1,
          'the seeded key was used by OpenAI’s role in the last 24 h',
        );
        assert.ok(Date.parse(usageRun.usage.until) - Date.parse(usageRun.usage.since) === 86_400_000);
        await client.schedule.getHandle(watch.scheduleId).trigger();
        const watchRun = (await client.workflow
          .getHandle(await scheduledRun(client, watch.scheduleId))
          .result()) as WatchResult;
        assert.equal(watchRun.endState, 'checked');
        assert.match(watchRun.reason, /not pending deletion/);

        for (const id of [usage.scheduleId, watch.scheduleId])
          ok(await cli(['schedule', 'delete', id]), `delete ${id}`);
        const after = JSON.parse(ok(await cli(['schedule', 'list', '--json']), 'list').stdout) as {
          scheduleId: string;
        }[];
        assert.ok(!after.some((s) => s.scheduleId === usage.scheduleId || s.scheduleId === watch.scheduleId));
        assert.equal((await cli(['schedule', 'delete', usage.scheduleId])).code, 5);
      },
      sandboxWorker(w),
    );
  });
});
