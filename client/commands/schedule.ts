// `ekm schedule usage|watch|sweep|list|delete`: the recurring checks, as Temporal Schedules (visible in the
// Web UI's Schedules page). `usage` runs verifyKeyUsage over the last interval; `watch` runs one pass of the
// deletion watchdog; `sweep` records the runs that were terminated or timed out (common/sweep.ts). A schedule's id names the key, so a second schedule of the same check is refused by
// Temporal itself; overlapping runs are skipped (a slow check never piles up behind itself).
import type { Command } from 'commander';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
} from '@temporalio/client';
import {
  verifyKeyUsageInput,
  type VerifyKeyUsageInput,
  type VerifyKeyUsageRequest,
} from '../../providers/usageRequests';
import { keyOf } from '../../providers/runSubject';
import { scheduledWatchWorkflowId } from '../../common/watchdog';
import { watchKeyDeletionInput, type WatchKeyDeletionInput } from '../../providers/watchRequests';
import { EkmKeyId, EkmProvider } from '../../common/searchAttributes';
import { sweepScheduleId } from '../../common/sweep';
import { cliOf } from '../../providers/cloudClis';
import { withClient } from '../connect';
import { createSweepSchedule } from '../sweepSchedule';
import { scheduleJitterMs } from '../scheduleJitter';
import { CliError, ExitCode, RefusedError, UsageError } from '../errors';
import { addCloudOptions, cloudOfKeyFlags, keyFlagOf, type KeyFlags } from '../keyFlags';
import { print } from '../output';
import { checkFlags, defaultRequester, uiBaseUrl } from '../runs';
import { parseDuration } from '../sinceFlag';

interface ScheduleFlags extends KeyFlags {
  externalKey?: string;
  every: string;
  taskQueue: string;
  json?: boolean;
}

/** One kind of recurring check: its schedule id, its workflow and its input. */
const kinds = {
  usage: { prefix: 'ekm-usage-schedule', workflowType: 'verifyKeyUsage' },
  watch: { prefix: 'ekm-watch-schedule', workflowType: 'watchKeyDeletion' },
} as const;
/** Every ekm schedule id begins with one of these (the sweep's: common/sweep.ts sweepScheduleId). */
const schedulePrefixes = [...Object.values(kinds).map((k) => k.prefix), 'ekm-sweep-schedule'];

/** The schema's field → the flag a person types. */
const flagOf: Record<string, string> = {
  ...keyFlagOf,
  lookbackSeconds: '--every',
  oncePerLookbackSeconds: '--every',
};

async function create(
  client: Client,
  kind: keyof typeof kinds,
  everySeconds: number,
  taskQueue: string,
  args: VerifyKeyUsageRequest | WatchKeyDeletionInput,
  note: string,
): Promise<string> {
  const key = keyOf(args);
  const scheduleId = `${kinds[kind].prefix}:${key}`;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: everySeconds * 1000 }], jitter: scheduleJitterMs(everySeconds) },
      action: {
        type: 'startWorkflow',
        workflowType: kinds[kind].workflowType,
        // Temporal appends the scheduled time, so every run has an id of its own. A watch's id is how the
        // worker knows it may cancel that key's deletion (common/watchdog.ts isWatchOf).
        workflowId: kind === 'watch' ? scheduledWatchWorkflowId(key) : `${kinds[kind].prefix}-run:${key}`,
        taskQueue,
        args: [args],
        typedSearchAttributes: [
          { key: EkmProvider, value: args.provider },
          { key: EkmKeyId, value: key },
        ],
        staticSummary: note,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: everySeconds * 1000 },
      memo: { ekm: note },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new RefusedError(
        `${cliOf(args).keyFlag}: ${key} already has a ${kind} schedule (${scheduleId}); \`ekm schedule delete ${scheduleId}\` first to change it`,
      );
    throw err;
  }
  return scheduleId;
}

export function registerSchedule(program: Command, defaultTaskQueue: string): void {
  const schedule = program
    .command('schedule')
    .description('recurring checks as Temporal Schedules (the Web UI lists them under Schedules)');

  addCloudOptions(
    schedule
      .command('usage')
      .description('run `ekm usage` for a key every interval, over the interval just past'),
    (cloud) => [cloud.key, cloud.principalBesideKey],
  )
    .option('--external-key <id>', "also ask OpenAI's validate for this external key (extkey_…)")
    .option('--every <length>', 'how often: 30m, 24h, 7d', '24h')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON')
    .action(async (flags: ScheduleFlags) => {
      const cloud = cloudOfKeyFlags(flags, true);
      const every = parseDuration('--every', flags.every);
      const common = {
        externalKeyId: flags.externalKey,
        lookbackSeconds: every,
        // The record of every scheduled check names who set the schedule up.
        requester: defaultRequester(),
      };
      const input = (key: string) =>
        ({ ...cloud.subjectFields(key, flags), ...common }) as VerifyKeyUsageInput;
      const keyRef = cloud.keyRefOf(flags);
      // Every flag is checked before Temporal is contacted.
      checkFlags(verifyKeyUsageInput, input(cloud.standInKey(keyRef, flags)), flagOf);
      const out = await withClient(async ({ client }) => {
        // The CLI holds no cloud credentials: the worker resolves an AWS alias (a Cloud KMS name is final).
        const resolved = await cloud.resolveKey(client, flags.taskQueue, keyRef, '`ekm schedule usage`');
        const args = checkFlags(verifyKeyUsageInput, input(resolved), flagOf);
        const key = keyOf(args);
        const id = await create(
          client,
          'usage',
          every,
          flags.taskQueue,
          args,
          `Usage of ${key} every ${flags.every}`,
        );
        return { scheduleId: id, provider: args.provider, key, every: flags.every };
      });
      print(
        flags,
        out,
        () =>
          `scheduled  ${out.scheduleId}\nevery      ${out.every}\nWeb UI     ${uiBaseUrl()}/namespaces/${process.env.TEMPORAL_NAMESPACE ?? 'default'}/schedules`,
      );
    });

  addCloudOptions(
    schedule
      .command('watch')
      .description('check a key pending deletion for any use every interval (one watchdog pass each time)'),
    (cloud) => [cloud.keyPendingDeletion],
  )
    .option('--every <length>', 'how often: 30m, 24h, 7d', '1h')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON')
    .action(async (flags: ScheduleFlags) => {
      const cloud = cloudOfKeyFlags(flags, false);
      const every = parseDuration('--every', flags.every);
      const input = (key: string): WatchKeyDeletionInput => ({
        ...cloud.keyFields(key),
        oncePerLookbackSeconds: every,
      });
      const keyRef = cloud.keyRefOf(flags);
      checkFlags(watchKeyDeletionInput, input(cloud.standInKey(keyRef, flags)), flagOf);
      const out = await withClient(async ({ client }) => {
        const resolved = await cloud.resolveKey(client, flags.taskQueue, keyRef, '`ekm schedule watch`');
        const args = checkFlags(watchKeyDeletionInput, input(resolved), flagOf);
        const key = keyOf(args);
        const id = await create(
          client,
          'watch',
          every,
          flags.taskQueue,
          args,
          `Deletion watch of ${key} every ${flags.every}`,
        );
        return { scheduleId: id, provider: args.provider, key, every: flags.every };
      });
      print(flags, out, () => `scheduled  ${out.scheduleId}\nevery      ${out.every}`);
    });

  schedule
    .command('sweep')
    .description(
      'find and record, every interval, the runs that were terminated or timed out (they write no evidence of their own)',
    )
    .option('--every <length>', 'how often: 30m, 1h, 24h', '1h')
    .option('--lookback <length>', 'how far back closed runs are looked at (default 7d)')
    .option('--task-queue <name>', 'task queue the worker polls (its runs are swept)', defaultTaskQueue)
    .option('--json', 'print JSON')
    .action(async (flags: { every: string; lookback?: string; taskQueue: string; json?: boolean }) => {
      const every = parseDuration('--every', flags.every);
      const lookbackSeconds =
        flags.lookback === undefined ? undefined : parseDuration('--lookback', flags.lookback);
      if (lookbackSeconds !== undefined && lookbackSeconds < every)
        throw new UsageError(
          `--lookback ${flags.lookback}: must be at least --every ${flags.every}, or a run ended between two sweeps could be missed`,
        );
      const out = await withClient(async ({ client }) => {
        const created = await createSweepSchedule(
          client,
          flags.taskQueue,
          every,
          lookbackSeconds === undefined ? undefined : { lookbackSeconds },
        );
        if (!created)
          throw new RefusedError(
            `--task-queue: ${flags.taskQueue} already has a sweep schedule (${sweepScheduleId(flags.taskQueue)}); \`ekm schedule delete ${sweepScheduleId(flags.taskQueue)}\` first to change it`,
          );
        return { scheduleId: sweepScheduleId(flags.taskQueue), every: flags.every };
      });
      print(flags, out, () => `scheduled  ${out.scheduleId}\nevery      ${out.every}`);
    });

  schedule
    .command('list')
    .description('the ekm schedules in the namespace')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const rows = await withClient(async ({ client }) => {
        const found: { scheduleId: string; note: string; nextRun?: string; recentRuns: number }[] = [];
        for await (const s of client.schedule.list()) {
          if (!schedulePrefixes.some((p) => s.scheduleId.startsWith(`${p}:`))) continue;
          found.push({
            scheduleId: s.scheduleId,
            note: String(s.memo?.ekm ?? ''),
            nextRun: s.info.nextActionTimes[0]?.toISOString(),
            recentRuns: s.info.recentActions.length,
          });
        }
        return found;
      });
      print(flags, rows, () =>
        rows.length
          ? rows.map((r) => `${r.scheduleId}\n  ${r.note}; next ${r.nextRun ?? 'none'}`).join('\n')
          : 'no ekm schedules',
      );
    });

  schedule
    .command('delete')
    .description('delete an ekm schedule (runs already started go on)')
    .argument('<scheduleId>', 'as `ekm schedule list` shows it')
    .option('--json', 'print JSON')
    .action(async (scheduleId: string, flags: { json?: boolean }) => {
      if (!schedulePrefixes.some((p) => scheduleId.startsWith(`${p}:`)))
        throw new UsageError(
          `<scheduleId>: ${scheduleId} is not an ekm schedule id (see \`ekm schedule list\`)`,
        );
      await withClient(async ({ client }) => {
        try {
          await client.schedule.getHandle(scheduleId).delete();
        } catch (err) {
          if (err instanceof ScheduleNotFoundError)
            throw new CliError(`no schedule ${scheduleId}`, ExitCode.notFound);
          throw err;
        }
      });
      print(flags, { deleted: scheduleId }, () => `deleted    ${scheduleId}`);
    });
}
