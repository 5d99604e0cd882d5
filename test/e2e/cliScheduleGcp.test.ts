// `ekm schedule usage|watch` for a Cloud KMS key through the binary: the key named by --key-name (and
// OpenAI's principal by --principal for a usage check), bad flag mixes refused before Temporal is
// contacted, and the schedules run (triggered) by Temporal against the Cloud KMS fake and the OpenAI twin:
// the usage check counts OpenAI's seeded Encrypts, the watch pass sees OpenAI refused on a key whose
// versions are scheduled for destruction.
import assert from 'node:assert/strict';
import type { VerifyKeyUsageResult } from '../../providers/usageRequests';
import type { WatchResult } from '../../providers/watchRequests';
import { freePort } from '../../sandbox/ports';
import { runCli, ok, scheduledRun } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { requester, startGcpRevocationWorld, type GcpRevocationWorld } from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import { call } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const keyName = 'projects/customer-project/locations/global/keyRings/ring/cryptoKeys/key';
const principal =
  'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/subject/openai';

describe('ekm CLI: schedules for a Cloud KMS key', function () {
  let env: NodeJS.ProcessEnv;
  let world: GcpRevocationWorld | undefined;
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

  it('bad flag mixes exit 2 naming the flag, before Temporal is contacted', async function () {
    const nowhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
    const cases: [string[], RegExp][] = [
      [['schedule', 'usage', '--key-name', keyName], /--principal: is required with --key-name/],
      [
        [
          'schedule',
          'usage',
          '--key-name',
          keyName,
          '--principal',
          principal,
          '--role',
          'arn:aws:iam::1:role/x',
        ],
        /--role: is AWS's; a Cloud KMS key takes --principal/,
      ],
      [
        ['schedule', 'watch', '--key', 'alias/x', '--key-name', keyName],
        /--key \/ --key-name: give exactly one/,
      ],
      [['schedule', 'watch'], /--key \/ --key-name: give exactly one/],
      [['schedule', 'watch', '--key-name', 'ring/key'], /--key-name: is not a Cloud KMS key name/],
      [
        ['schedule', 'watch', '--key-name', keyName, '--every', '31d'],
        /--every: must be at most 30 days \(Cloud Logging/,
      ],
      [
        ['schedule', 'usage', '--key-name', keyName, '--principal', 'openai'],
        /--principal: must be OpenAI's IAM principal/,
      ],
    ];
    for (const [args, expected] of cases) {
      const run = await cli(args, nowhere);
      assert.equal(run.code, 2, `${args.join(' ')}\n${run.stderr}`);
      assert.match(run.stderr, expected);
    }
  });

  it('schedule usage and watch by --key-name: created, run by Temporal, deleted', async function () {
    const w = (world = await startGcpRevocationWorld(1));
    const temporal = await devEnvironment();
    const { client } = temporal;
    await withWorker(
      temporal,
      async ({ taskQueue }) => {
        const usage = JSON.parse(
          ok(
            await cli([
              ...['schedule', 'usage', '--key-name', w.keyName, '--principal', w.principal],
              ...['--every', '24h', '--task-queue', taskQueue, '--json'],
            ]),
            'schedule usage',
          ).stdout,
        ) as { scheduleId: string; provider: string; key: string };
        assert.equal(usage.scheduleId, `ekm-usage-schedule:${w.keyName}`);
        assert.equal(usage.provider, 'gcp');
        const again = await cli([
          ...['schedule', 'usage', '--key-name', w.keyName, '--principal', w.principal],
          ...['--task-queue', taskQueue],
        ]);
        assert.equal(again.code, 4, 'one usage schedule per key');
        assert.match(again.stderr, /--key-name: .* already has a usage schedule/);

        await client.schedule.getHandle(usage.scheduleId).trigger();
        const usageRun = (await client.workflow
          .getHandle(await scheduledRun(client, usage.scheduleId))
          .result()) as VerifyKeyUsageResult;
        assert.equal(usageRun.usage.provider, 'gcp');
        assert.ok(usageRun.usage.successful >= 1, 'OpenAI’s principal encrypted the seeded data keys');
        assert.equal(Date.parse(usageRun.usage.until) - Date.parse(usageRun.usage.since), 86_400_000);

        // Every version scheduled for destruction; OpenAI then tries an old file (its cache expired).
        const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
        for (const v of versions) await w.gcp.kms.destroyCryptoKeyVersion({ name: v.name! });
        await new Promise((r) => setTimeout(r, 1500));
        const [project] = w.projects;
        const read = await call(w.twin.url, 'GET', `/v1/files/${project!.fileId}/content`, project!.apiKey);
        assert.notEqual(read.status, 200);
        await new Promise((r) => setTimeout(r, 1500)); // past the worker's 1 s delivery lag

        const watch = JSON.parse(
          ok(
            await cli([
              ...['schedule', 'watch', '--key-name', w.keyName, '--every', '1h'],
              ...['--task-queue', taskQueue, '--json'],
            ]),
            'schedule watch',
          ).stdout,
        ) as { scheduleId: string };
        assert.equal(watch.scheduleId, `ekm-watch-schedule:${w.keyName}`);
        await client.schedule.getHandle(watch.scheduleId).trigger();
        const watchRun = (await client.workflow
          .getHandle(await scheduledRun(client, watch.scheduleId))
          .result()) as WatchResult;
        assert.equal(watchRun.endState, 'checked', watchRun.reason);
        assert.ok(watchRun.useCount >= 1, watchRun.reason);
        // The look-back also holds the seeding's Encrypts; the refused Decrypt is among the uses.
        assert.ok(
          watchRun.uses.some((u) => u.errorCode === 'FAILED_PRECONDITION' && u.eventName === 'Decrypt'),
          JSON.stringify(watchRun.uses),
        );
        const [after] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
        assert.deepEqual(
          after.map((v) => String(v.state)),
          ['DESTROY_SCHEDULED'],
          'the worker only alerts unless told to cancel',
        );

        for (const id of [usage.scheduleId, watch.scheduleId])
          ok(await cli(['schedule', 'delete', id]), `delete ${id}`);
      },
      w.worker(),
    );
  });
});
