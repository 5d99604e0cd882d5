// The plans of the recorded runs, recomputed by today's code: every planRevocation, planFollowUp and
// planRotation that completed in a history under test/replay/ is run again on its recorded input, and its
// hash (and its changes) must be the ones the run recorded. A refactoring that "changes the shape, not the
// behaviour" (issue 17) must leave every one of them as it was: an approval in flight is bound to that hash.
// The three are pure functions of their input (request, baseline or state, settings digest), so nothing
// but the recorded input is handed to them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planFollowUp } from '../../activities/planFollowUp';
import { planRevocation } from '../../activities/planRevocation';
import { planRotation } from '../../activities/planRotation';
import { projectRoot } from '../../sandbox/paths';

const replayDir = path.join(projectRoot, 'test', 'replay');

/** Each activity type, run on its recorded input as the worker runs it (one argument). */
const planners = {
  planRevocation: (input: unknown) => planRevocation(input as Parameters<typeof planRevocation>[0]),
  planFollowUp: (input: unknown) => planFollowUp(input as Parameters<typeof planFollowUp>[0]),
  planRotation: (input: unknown) => planRotation(input as Parameters<typeof planRotation>[0]),
};
type PlanType = keyof typeof planners;
const isPlanType = (name: string): name is PlanType => Object.hasOwn(planners, name);

/**
 * How many completed plans the histories hold today, per type: fewer means a history or a match was lost,
 * and the test would prove less than it says. Raise these when histories are recorded.
 */
const atLeast: Record<PlanType, number> = { planRevocation: 46, planFollowUp: 46, planRotation: 5 };

/**
 * Recorded plans whose hash is known to differ from today's, keyed `file#scheduledEventId`, each with why
 * (a behaviour change made on purpose, behind `patched()` for the runs in flight). None today: every
 * recorded plan reproduces. An entry must still name a recorded plan, and its hash must still differ.
 */
const changedOnPurpose: Record<string, string> = {};

interface Payload {
  metadata?: { encoding?: string };
  data?: string;
}
interface HistoryEvent {
  eventId: string;
  eventType: string;
  activityTaskScheduledEventAttributes?: {
    activityType: { name: string };
    input?: { payloads?: Payload[] };
  };
  activityTaskCompletedEventAttributes?: {
    scheduledEventId: string;
    result?: { payloads?: Payload[] };
  };
}

interface RecordedPlan {
  file: string;
  type: PlanType;
  scheduledEventId: string;
  completedEventId: string;
  input: unknown;
  result: { hash: string; changes: string[] };
}

function decode(payload: Payload | undefined, where: string): unknown {
  const encoding = payload?.metadata?.encoding && Buffer.from(payload.metadata.encoding, 'base64').toString();
  if (encoding !== 'json/plain' || payload?.data === undefined)
    throw new Error(`${where}: expected one json/plain payload, found encoding ${encoding ?? 'none'}`);
  return JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
}

function recordedPlans(): RecordedPlan[] {
  const plans: RecordedPlan[] = [];
  for (const file of fs
    .readdirSync(replayDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const { events } = JSON.parse(fs.readFileSync(path.join(replayDir, file), 'utf8')) as {
      events: HistoryEvent[];
    };
    const scheduled = new Map<string, { type: PlanType; input: unknown }>();
    for (const event of events) {
      const s = event.activityTaskScheduledEventAttributes;
      if (event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' && s && isPlanType(s.activityType.name)) {
        const where = `${file} event ${event.eventId} (${s.activityType.name} scheduled)`;
        const payloads = s.input?.payloads ?? [];
        if (payloads.length !== 1) throw new Error(`${where}: ${payloads.length} arguments, expected 1`);
        scheduled.set(event.eventId, { type: s.activityType.name, input: decode(payloads[0], where) });
      }
      const c = event.activityTaskCompletedEventAttributes;
      const plan = c && scheduled.get(c.scheduledEventId);
      if (event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED' && c && plan) {
        const where = `${file} event ${event.eventId} (${plan.type} completed, scheduled ${c.scheduledEventId})`;
        plans.push({
          file,
          type: plan.type,
          scheduledEventId: c.scheduledEventId,
          completedEventId: event.eventId,
          input: plan.input,
          result: decode(c.result?.payloads?.[0], where) as RecordedPlan['result'],
        });
      }
    }
  }
  return plans;
}

const plans = recordedPlans();
const keyOf = (p: RecordedPlan) => `${p.file}#${p.scheduledEventId}`;

describe('plan hashes of the recorded runs', function () {
  it('finds the recorded plans (none lost, per activity type)', function () {
    for (const type of Object.keys(atLeast) as PlanType[]) {
      const found = plans.filter((p) => p.type === type).length;
      assert.ok(
        found >= atLeast[type],
        `only ${found} completed ${type} in ${replayDir}, expected at least ${atLeast[type]}`,
      );
    }
    const total = Object.values(atLeast).reduce((a, b) => a + b, 0);
    assert.ok(
      plans.length >= total,
      `only ${plans.length} completed plans in ${replayDir}, expected at least ${total}`,
    );
  });

  it('lists as changed on purpose only plans that exist', function () {
    const keys = new Set(plans.map(keyOf));
    for (const key of Object.keys(changedOnPurpose))
      assert.ok(keys.has(key), `changedOnPurpose names ${key}, which is no completed plan`);
  });

  for (const recorded of plans) {
    const where = `${recorded.file} event ${recorded.completedEventId} (${recorded.type} scheduled as event ${recorded.scheduledEventId})`;
    const why = changedOnPurpose[keyOf(recorded)];
    it(`${recorded.file}: ${recorded.type} of event ${recorded.scheduledEventId}${why ? ' changed on purpose' : ''}`, async function () {
      const now = await planners[recorded.type](recorded.input).catch((e: unknown) => {
        throw new Error(`${where}: today's ${recorded.type} refuses the recorded input: ${String(e)}`);
      });
      if (why) {
        assert.notEqual(
          now.hash,
          recorded.result.hash,
          `${where}: listed as changed (${why}) but reproduces`,
        );
        return;
      }
      assert.equal(
        now.hash,
        recorded.result.hash,
        `${where}: today's plan hash differs from the recorded one`,
      );
      assert.deepEqual(
        now.changes,
        recorded.result.changes,
        `${where}: today's changes differ from the recorded ones`,
      );
    });
  }
});
