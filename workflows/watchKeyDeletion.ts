// The scheduled-deletion watchdog: while the old key waits out its deletion window (AWS KMS) or its
// versions wait out their destruction (Cloud KMS), read the audit trail for any use of it — by anyone, successful or refused — and alert; when the worker is configured to,
// cancel the deletion at the first use (the key stays disabled). A use means something still depends on
// the key, and this window is the last moment a deletion can be undone.
//
// A 30-day watch polls hundreds of times: the run continues as new before its history grows long, carrying
// only the cursor and what it has seen. Each poll reads a window that the trail has fully delivered
// ([cursor, now − delivery lag]), so windows never overlap and nothing is counted twice.
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  patched,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { EkmError } from '../common/errors';
import { keyOf } from '../providers/runSubject';
import { EkmKeyId, EkmProvider, EkmStage } from '../common/searchAttributes';
import { keptUses, type WatchCarry, type WatchEndState } from '../common/watchdog';
import {
  watchKeyDeletionInput,
  type WatchKeyDeletionInput,
  type WatchResult,
  type WatchedKey,
} from '../providers/watchRequests';
import { call, routeChanges } from './revoke/call';
import { parseInput } from './parseInput';
import { operationsOf, type WatchedEnd } from '../providers/operations';
import { specOf } from '../providers';
import { trailReadOptions } from './revoke/usage';
import { scheduledStart } from './scheduledStart';
import type { UsageSample } from '../common/usage';

/** The uses a poll found, and whether the trail can show use at all. */
interface WatchedUses {
  since: string;
  until: string;
  successful: number;
  refused: number;
  samples: UsageSample[];
  /** Google Cloud: no Data Access entry in the whole project — the log cannot show use (logging off). */
  trailLooksOff: boolean;
}

/**
 * Far under Temporal's limits (a warning at 10,240 events, the end at 51,200): a run this long — about
 * 18 hourly polls — continues as new. Short runs also keep a worker's replay of one cheap.
 */
const historyBudget = 300;

/** How much later than its interval a poll may be: spreads watches started at once (docs/quotas.md). */
const pollJitter = 0.1;

/** A failure that retrying will not fix (no trail client, access denied): the watch cannot go on. */
function isFinal(err: ActivityFailure): boolean {
  return err.cause instanceof ApplicationFailure && err.cause.nonRetryable === true;
}

export async function watchKeyDeletion(
  rawInput: WatchKeyDeletionInput,
  carried?: WatchCarry,
): Promise<WatchResult> {
  const input = parseInput(watchKeyDeletionInput, rawInput);
  // The key alone, in its cloud's field: what the watch's result names.
  const key = keyOf(input);
  const watched = { provider: input.provider, [specOf(input).keyField]: key } as unknown as WatchedKey;
  const trail = specOf(watched).trailName;
  const cloud = operationsOf(watched);
  const settings = await call('read', 'loadWatchdogSettings', 'read the watchdog’s settings');
  routeChanges(settings.mutatingTaskQueue);
  const lagMs = settings.deliveryLagSeconds * 1000;
  const { workflowId, runId } = workflowInfo();
  const carry: WatchCarry = carried ?? {
    cursor: input.since ?? new Date().toISOString(),
    uses: [],
    useCount: 0,
    polls: 0,
    runs: 0,
    longestRunHistory: 0,
  };
  carry.runs++;
  let deletionDate: string | undefined;
  upsertSearchAttributes([
    { key: EkmProvider, value: input.provider },
    { key: EkmKeyId, value: key },
    { key: EkmStage, value: 'watching' },
  ]);

  const draw = (line: string) =>
    setCurrentDetails(
      [
        `**Deletion watch** on \`${key}\`${input.revokeWorkflowId ? ` (scheduled by \`${input.revokeWorkflowId}\`)` : ''}`,
        `deletion date: ${deletionDate ?? 'not read yet'}; trail read up to ${carry.cursor}`,
        `${carry.polls} poll(s), ${carry.useCount} use(s) seen; run ${carry.runs}`,
        '',
        line,
      ].join('\n'),
    );

  const alert = (message: string) =>
    call('read', 'notify', 'alert: the key is used while pending deletion', {
      workflowId,
      runId,
      kind: 'watchdog',
      message,
    });

  const end = (endState: WatchEndState, reason: string): WatchResult => {
    carry.longestRunHistory = Math.max(carry.longestRunHistory, workflowInfo().historyLength);
    upsertSearchAttributes([{ key: EkmStage, value: endState }]);
    draw(`ended **${endState}**: ${reason}`);
    const { cursor: _cursor, ...counts } = carry;
    void _cursor;
    return { ...watched, endState, reason, deletionDate, ...counts };
  };

  /** Reads the trail for [since, until); undefined when it could not be read this time (alerted). */
  /** Every use of the key in [since, until), by anyone, successful or refused. */
  const readUses = async (since: string, until: string): Promise<WatchedUses> => {
    const report = await cloud.readUsage(watched, since, until, {
      ...trailReadOptions,
      summary: `${trail}: any use of the key, ${since} → ${until}`,
    });
    return { ...report, trailLooksOff: cloud.trailLooksOff(report) };
  };
  const readTrail = async (since: string, until: string): Promise<WatchedUses | undefined> => {
    try {
      const uses = await readUses(since, until);
      if (uses.trailLooksOff && !carry.loggingOffAlerted) {
        // Said once per watch: every later poll would say it again.
        carry.loggingOffAlerted = true;
        await alert(
          `the deletion watch on ${key} sees no Cloud KMS Data Access entry in the whole project: Data Access audit logging looks off for cloudkms.googleapis.com, so a use of the key would not show — turn it on to be warned`,
        );
      }
      return uses;
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isFinal(err)) throw err;
      await alert(
        `the deletion watch on ${key} could not read ${trail} (${err.cause?.message ?? err.message}); it tries again at the next poll`,
      );
      return undefined;
    }
  };

  /** A use seen: alert, and cancel the deletion when the worker says so. True when the watch is over. */
  const onUse = async (report: WatchedUses): Promise<WatchResult | undefined> => {
    const count = report.successful + report.refused;
    carry.useCount += count;
    carry.uses = [...report.samples, ...carry.uses].slice(0, keptUses);
    const last = report.samples[0];
    const who = last ? `last ${last.eventName} by ${last.principal ?? 'unknown'} at ${last.eventTime}` : '';
    const cancel = settings.cancelDeletionOnUse;
    await alert(
      `${count} use(s) of ${key} while it is pending deletion (${deletionDate ?? 'date unknown'}): ${who}. ${cancel ? 'Cancelling the deletion: the key stays disabled.' : `The deletion stays scheduled: ${cloud.manualCancel} if the key is still needed.`}`,
    );
    if (!cancel) return undefined;
    const cancelled = await cloud.cancelEnd(watched);
    return end('deletion-cancelled', `${count} use(s) seen (${who}); ${cancelled}`);
  };

  /** The key's end as the cloud reports it ('gone' once KMS no longer knows the key). */
  const describe = async (): Promise<WatchedEnd | 'unreadable'> => {
    try {
      return await cloud.readEnd(watched);
    } catch (err) {
      if (
        err instanceof ActivityFailure &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === EkmError.KeyNotFound
      )
        return { kind: 'gone', why: `KMS no longer knows ${key}: the deletion happened` };
      if (!(err instanceof ActivityFailure) || isFinal(err)) throw err;
      await alert(`the deletion watch could not describe ${key} (${err.cause?.message ?? err.message})`);
      return 'unreadable';
    }
  };

  // A one-pass check, as a schedule runs it: the look-back window, then the end.
  if (input.oncePerLookbackSeconds !== undefined) {
    const state = await describe();
    if (state !== 'unreadable' && state.kind === 'gone') return end('deleted', state.why);
    if (state !== 'unreadable' && state.kind === 'other')
      return end('checked', `the key is ${state.state}, not pending deletion: nothing to watch`);
    if (state !== 'unreadable') deletionDate = state.deletionDate;
    // From when its schedule meant it to run: passes of a jittered schedule still meet end to end.
    const until = new Date((scheduledStart() ?? Date.now()) - lagMs);
    const since = new Date(until.getTime() - input.oncePerLookbackSeconds * 1000);
    draw(`checking ${since.toISOString()} → ${until.toISOString()}`);
    const report = await readTrail(since.toISOString(), until.toISOString());
    carry.polls++;
    if (!report) return end('checked', `${trail} could not be read`);
    const over = report.successful + report.refused > 0 ? await onUse(report) : undefined;
    return (
      over ??
      end('checked', `${report.successful + report.refused} use(s) from ${report.since} to ${report.until}`)
    );
  }

  for (;;) {
    // 1. Is the key still waiting for its deletion?
    const state = await describe();
    if (state !== 'unreadable' && state.kind === 'gone') return end('deleted', state.why);
    if (state !== 'unreadable' && state.kind === 'other')
      return end(
        'cancelled-elsewhere',
        `the key is ${state.state}: its deletion was cancelled outside the watchdog`,
      );
    if (state !== 'unreadable') deletionDate = state.deletionDate ?? deletionDate;

    // 2. What the trail has fully delivered since the last poll (up to the deletion date).
    const deliveredUpTo = Date.now() - lagMs;
    const windowEnd = Math.min(deliveredUpTo, deletionDate ? Date.parse(deletionDate) : deliveredUpTo);
    if (windowEnd > Date.parse(carry.cursor)) {
      const until = new Date(windowEnd).toISOString();
      const report = await readTrail(carry.cursor, until);
      if (report) {
        carry.polls++;
        if (report.successful + report.refused > 0) {
          const over = await onUse(report);
          if (over) return over;
        }
        carry.cursor = until;
      }
    }
    draw(`next poll in ${settings.pollSeconds} s`);

    // 3. The window is over once the trail is read up to the deletion date.
    if (deletionDate && Date.parse(carry.cursor) >= Date.parse(deletionDate))
      return end(
        'deletion-date-passed',
        `the trail is read up to the deletion date ${deletionDate} and ${cloud.stillPending}`,
      );

    const untilDone = deletionDate ? Date.parse(deletionDate) + lagMs - Date.now() : Infinity;
    // Up to a tenth of the interval later, so watches started together do not poll the trail together
    // (Math.random is the workflow's seeded one: replays draw the same). Older runs poll on the dot.
    const jitter = patched('watchdog-poll-jitter') ? Math.random() * pollJitter * settings.pollSeconds : 0;
    await sleep(Math.max(1000, Math.min((settings.pollSeconds + jitter) * 1000, untilDone)), {
      summary: 'wait for the next poll',
    });

    // 4. Keep each run's history short: the next run begins with the poll that is due.
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > historyBudget) {
      carry.longestRunHistory = Math.max(carry.longestRunHistory, info.historyLength);
      await continueAsNew<typeof watchKeyDeletion>(rawInput, carry);
    }
  }
}
