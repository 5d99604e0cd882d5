// The turns on a shared role (AWS: a customer role several keys are used through). Runs whose method
// changes the role ask this queue for a turn (workflows/roleTurn.ts) and wait, first come first served;
// the queue gives the role to one at a time and takes it back when the run says it is done (after its
// change is validated) or when the run has ended. It serves only what really asked: before a turn is
// given, and while it is held, the run is described through Temporal (a running revokeKey or
// restoreAccess whose own query says it waits for this queue); a squatter, a forged ask or an ended run
// holds nothing. One queue per role, started by the first ask, ended when nobody holds or waits.
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { EkmActivities } from '../activities';
import {
  roleTurnNames,
  turnTakingWorkflows,
  type RoleQueueInput,
  type RoleQueueView,
  type RoleTurnUpdate,
  type Turn,
} from '../common/roleTurns';
import { roleLockWorkflowId } from '../common/workflowIds';
import { readOptions } from './revoke/activities';

export const askRoleTurn = defineSignal<[Turn]>(roleTurnNames.ask);
export const endRoleTurn = defineSignal<[{ runId: string }]>(roleTurnNames.end);
export const roleTurnUpdate = defineSignal<[RoleTurnUpdate]>(roleTurnNames.update);
export const roleQueueQuery = defineQuery<RoleQueueView>(roleTurnNames.queueQuery);

// A check that cannot answer (a worker restarting) is asked again at the next check, never read as "ended".
const { describeTurnTaker } = proxyActivities<EkmActivities>({
  ...readOptions,
  retry: { ...readOptions.retry, maximumAttempts: 3 },
});

/** How often the holder is checked while it holds: soon after the turn is given, then every half minute. */
const firstCheckMs = 1_000;
const checkCapMs = 30_000;
/** Waiters told of each change of their place; those further back were told their place when they asked. */
const placesKeptCurrent = 10;
/** The history is passed on well before Temporal's suggestion; what carries over is the holder and the line. */
const historyEventsPerRun = 4_000;

export async function roleQueue(input: RoleQueueInput): Promise<RoleQueueView> {
  const queue = workflowInfo().workflowId;
  const view: RoleQueueView = {
    role: input.role,
    holder: input.holder,
    line: [...(input.line ?? [])],
    served: input.served ?? 0,
    refused: [],
  };
  /** The place each waiter was last told, so only changes are signalled. */
  const told = new Map<string, number>();
  let released = false;
  let lineChanged = false;

  setHandler(askRoleTurn, (turn) => {
    if (view.holder?.runId === turn.runId || view.line.some((t) => t.runId === turn.runId)) return;
    view.line.push(turn);
    lineChanged = true;
  });
  setHandler(endRoleTurn, ({ runId }) => {
    if (view.holder?.runId === runId) released = true;
    else if (view.line.some((t) => t.runId === runId)) {
      view.line = view.line.filter((t) => t.runId !== runId);
      told.delete(runId);
      lineChanged = true;
    }
  });
  setHandler(roleQueueQuery, () => view, {
    description: 'Who holds the role and who waits, in order; the last asks refused and why.',
  });

  const refuse = (turn: Turn, why: string) => {
    view.refused = [...view.refused, { turn, why }].slice(-10);
  };

  /** Why `turn` may not hold the role (undefined: it may); a check that did not answer says so. */
  async function whyNot(turn: Turn, asking: boolean): Promise<string | undefined | 'unknown'> {
    let taker;
    try {
      taker = await describeTurnTaker({ turn, queue });
    } catch (err) {
      view.unanswered = `${turn.workflowId} (${turn.runId}) could not be checked yet: ${(err as Error).message}`;
      return 'unknown';
    }
    view.unanswered = undefined;
    if (!taker) return `${turn.workflowId} (${turn.runId}) is not known to Temporal`;
    if (!turnTakingWorkflows.includes(taker.workflowType))
      return `${turn.workflowId} is a ${taker.workflowType} run, and only ${turnTakingWorkflows.join(' and ')} take turns on roles`;
    if (taker.status !== 'RUNNING') return `${turn.workflowId} (${turn.runId}) has ended (${taker.status})`;
    if (!taker.claim)
      return `${turn.workflowId} (${turn.runId}) says it ${asking ? 'never asked for' : 'no longer holds'} a turn on ${view.role}`;
    return undefined;
  }

  /** A run from before turns holds the role through its own lock (workflows/roleLock.ts): wait it out. */
  async function legacyLockHeld(): Promise<boolean> {
    try {
      const lock = await describeTurnTaker({
        turn: { workflowId: roleLockWorkflowId(view.role), runId: '', askedAt: '' },
        queue,
      });
      return lock?.workflowType === 'roleLock' && lock.status === 'RUNNING';
    } catch {
      return true;
    }
  }

  async function tell(turn: Turn, update: Omit<RoleTurnUpdate, 'queue'>): Promise<boolean> {
    try {
      await getExternalWorkflowHandle(turn.workflowId, turn.runId).signal(roleTurnUpdate, {
        queue,
        ...update,
      });
      return true;
    } catch {
      return false; // the run has ended: the next check or the grant finds it
    }
  }

  /** Each waiter near the front hears of a change of its place; a new waiter hears its place once. */
  async function tellPlaces(): Promise<void> {
    const first = view.holder ? 2 : 1;
    for (const [i, turn] of view.line.entries()) {
      const place = first + i;
      const before = told.get(turn.runId);
      if (before === place || (before !== undefined && i >= placesKeptCurrent)) continue;
      told.set(turn.runId, place);
      await tell(turn, { place, holder: view.holder?.workflowId });
    }
  }

  let checks = 0;
  if (view.holder) {
    // Carried over (or named by whoever started this queue): it counts only if it still holds.
    const why = await whyNot(view.holder, false);
    if (why && why !== 'unknown') {
      refuse(view.holder, why);
      view.holder = undefined;
    }
  }
  for (;;) {
    if (!view.holder) {
      const next = view.line[0];
      if (!next) break;
      const why = (await legacyLockHeld()) ? 'unknown' : await whyNot(next, true);
      if (why === 'unknown') {
        // Asked again after a pause; the line keeps its order.
        await sleep(checkCapMs);
        continue;
      }
      view.line.shift();
      told.delete(next.runId);
      if (why) {
        refuse(next, why);
        continue;
      }
      view.holder = { ...next, since: new Date().toISOString() };
      checks = 0;
      released = false;
      if (!(await tell(next, { place: 1, yourTurn: true }))) {
        refuse(next, `${next.workflowId} (${next.runId}) ended before its turn came`);
        view.holder = undefined;
        continue;
      }
      view.served++;
    }
    lineChanged = false;
    await tellPlaces();
    // The holder's release, a change in line, or the time to check the holder again.
    const woke = await condition(
      () => released || lineChanged,
      Math.min(checkCapMs, firstCheckMs * 2 ** checks),
    );
    if (released) {
      view.holder = undefined;
      released = false;
    } else if (!woke && view.holder) {
      checks++;
      const why = await whyNot(view.holder, false);
      if (why && why !== 'unknown') {
        refuse(view.holder, `freed: ${why}`);
        view.holder = undefined;
      }
    }
    if (workflowInfo().historyLength > historyEventsPerRun || workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof roleQueue>({
        role: view.role,
        holder: view.holder,
        line: view.line,
        served: view.served,
      });
  }
  return view;
}
