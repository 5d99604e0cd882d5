// Temporal actions per run, by the counting rule stated in docs/actions.md (bench/actions.ts counts them).
import type { temporal } from '@temporalio/proto';
import { runCost } from '../actions';

export function actionsOf(events: temporal.api.history.v1.IHistoryEvent[]): number | undefined {
  return runCost({ events }).actions;
}
