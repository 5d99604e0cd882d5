// What a completed run costs on Temporal Cloud, counted from its history by the rule in docs/actions.md
// (Temporal Cloud's definition of a billable Action): one per workflow start, activity attempt, timer,
// search-attribute upsert (TemporalChangeVersion alone excepted), signal, accepted update and workflow
// options update; two per child workflow; one per workflow task that records any marker. Queries, rejected
// updates and activity heartbeats leave nothing in a history: they are not counted here (docs/actions.md).
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A run's cost by the stated rule, with the events and activities beside it. */
export interface RunCost {
  actions: number;
  events: number;
  /** Activities scheduled (each counted once, however many attempts it took). */
  activities: number;
  /** The actions by what caused them, for the reader who wants to know where they go. */
  byKind: Record<ActionKind, number>;
}

export type ActionKind =
  | 'workflow started'
  | 'activity attempts'
  | 'timers'
  | 'search-attribute upserts'
  | 'signals'
  | 'updates'
  | 'child workflows'
  | 'marker tasks'
  | 'options updated';

/** The versioning search attribute `patched()` upserts: exempt from the count. */
const changeVersion = 'TemporalChangeVersion';

function upsertIsBilled(e: HistoryEvent): boolean {
  const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
  return Object.keys(fields).some((k) => k !== changeVersion);
}

/** Counts one run's history (one execution: a continued-as-new run is a history of its own). */
export function runCost(history: { events?: HistoryEvent[] | null }): RunCost {
  const events = history.events ?? [];
  const byKind: Record<ActionKind, number> = {
    'workflow started': 0,
    'activity attempts': 0,
    timers: 0,
    'search-attribute upserts': 0,
    signals: 0,
    updates: 0,
    'child workflows': 0,
    'marker tasks': 0,
    'options updated': 0,
  };
  // All markers a workflow task records count as one action (Temporal Cloud's rule for local activities,
  // applied to every marker: a `patched()` marker is a RecordMarker command too).
  const markerTasks = new Set<string>();
  let activities = 0;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) byKind['workflow started']++;
    else if (e.activityTaskScheduledEventAttributes) activities++;
    // The history keeps the last attempt's start only, with its number: every attempt was an action.
    else if (e.activityTaskStartedEventAttributes)
      byKind['activity attempts'] += Math.max(1, e.activityTaskStartedEventAttributes.attempt ?? 1);
    else if (e.timerStartedEventAttributes) byKind.timers++;
    else if (e.upsertWorkflowSearchAttributesEventAttributes) {
      if (upsertIsBilled(e)) byKind['search-attribute upserts']++;
    } else if (
      e.workflowExecutionSignaledEventAttributes ||
      e.signalExternalWorkflowExecutionInitiatedEventAttributes
    )
      byKind.signals++;
    else if (e.workflowExecutionUpdateAcceptedEventAttributes) byKind.updates++;
    // Starting a child is two actions: its start, and its execution.
    else if (e.startChildWorkflowExecutionInitiatedEventAttributes) byKind['child workflows'] += 2;
    else if (e.markerRecordedEventAttributes)
      markerTasks.add(String(e.markerRecordedEventAttributes.workflowTaskCompletedEventId ?? e.eventId));
    else if (e.workflowExecutionOptionsUpdatedEventAttributes) byKind['options updated']++;
  }
  byKind['marker tasks'] = markerTasks.size;
  const actions = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { actions, events: events.length, activities, byKind };
}
