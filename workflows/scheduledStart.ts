// When a Temporal Schedule meant a run to start: the schedules ekm creates start each run up to a few
// minutes late (jitter, client/scheduleJitter.ts), so a recurring check anchors its window at the time the
// schedule meant rather than the time the run began — consecutive windows then meet exactly, no gap and
// no overlap, whatever the jitter. Temporal gives every scheduled run this search attribute.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { patched, workflowInfo } from '@temporalio/workflow';

const scheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/** The scheduled start (ms), or undefined for a run no schedule started (and for runs from before it). */
export function scheduledStart(): number | undefined {
  if (!patched('window-at-scheduled-time')) return undefined;
  let at: Date | undefined;
  try {
    at = workflowInfo().typedSearchAttributes.get(scheduledStartTime);
  } catch {
    return undefined; // an attribute of another type under that name: not a schedule's
  }
  return at instanceof Date && Number.isFinite(at.getTime()) ? at.getTime() : undefined;
}
