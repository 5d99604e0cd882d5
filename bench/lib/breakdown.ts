// Where the time between two history events goes: each step from one event to the next (a workflow task
// waiting for a poller, running on the worker, an activity waiting for a slot, running…), named by the
// two events, with its median over the runs. (b) shows it for the approval → change chain, so a slower
// figure points at the step that grew.
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** An event's time in epoch ms, whether its seconds are a Long (a fetched history) or not (one read from JSON). */
export function eventTimeMs(e: HistoryEvent): number {
  const seconds = e.eventTime?.seconds as unknown;
  if (seconds !== null && typeof seconds === 'object') return tsToMs(e.eventTime);
  return Number(seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
}

/** "ActivityTaskStarted (readTogether)", "WorkflowTaskCompleted": the event's type, short, with its activity. */
export function eventLabel(e: HistoryEvent, activityOf: (scheduledId: number) => string | undefined): string {
  const name = (EventType[e.eventType ?? 0] ?? String(e.eventType))
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());
  const scheduled =
    e.activityTaskScheduledEventAttributes?.activityType?.name ??
    activityOf(Number(e.activityTaskStartedEventAttributes?.scheduledEventId ?? 0)) ??
    activityOf(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? 0));
  return scheduled ? `${name} (${scheduled})` : name;
}

/** One step of a run's chain: from one event to the next, in ms. */
export interface Step {
  label: string;
  ms: number;
}

/** The steps from the event `from` to the event `to` (both included as ends), in history order. */
export function stepsBetween(events: HistoryEvent[], from: HistoryEvent, to: HistoryEvent): Step[] {
  const activities = new Map<number, string>();
  for (const e of events)
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      activities.set(Number(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
  const activityOf = (id: number) => activities.get(id);
  // An activity's started event is written when it completes (its event id comes late): order by time,
  // then id, so the chain reads as it happened.
  const between = events
    .filter((e) => Number(e.eventId) >= Number(from.eventId))
    .filter((e) => eventTimeMs(e) <= eventTimeMs(to))
    .filter((e) => e === to || Number(e.eventId) !== Number(to.eventId))
    .sort((a, b) => eventTimeMs(a) - eventTimeMs(b) || Number(a.eventId) - Number(b.eventId));
  const steps: Step[] = [];
  for (let i = 1; i < between.length; i++) {
    const a = between[i - 1]!;
    const b = between[i]!;
    steps.push({
      label: `${eventLabel(a, activityOf)} → ${eventLabel(b, activityOf)}`,
      ms: eventTimeMs(b) - eventTimeMs(a),
    });
  }
  return steps;
}

/**
 * The median of each step over runs (a step absent from a run counts as absent, not as 0), in the order of
 * the first run that has it; and how many runs had it.
 */
export function medianSteps(runs: Step[][]): { label: string; medianMs: number; runs: number }[] {
  const order: string[] = [];
  const byLabel = new Map<string, number[]>();
  for (const steps of runs) {
    // A label that repeats within a run (two workflow tasks in a row) is summed: one row per kind of step.
    const summed = new Map<string, number>();
    for (const s of steps) {
      if (!summed.has(s.label) && !byLabel.has(s.label)) order.push(s.label);
      summed.set(s.label, (summed.get(s.label) ?? 0) + s.ms);
    }
    for (const [label, ms] of summed) byLabel.set(label, [...(byLabel.get(label) ?? []), ms]);
  }
  return order.map((label) => {
    const values = [...byLabel.get(label)!].sort((a, b) => a - b);
    return { label, medianMs: values[Math.floor((values.length - 1) / 2)]!, runs: values.length };
  });
}
