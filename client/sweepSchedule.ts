// The sweep's Temporal Schedule (common/sweep.ts): `ekm schedule sweep` creates it, the sandbox creates
// its own at start, `ekm check` says when it is missing. One per task queue; overlapping sweeps are
// skipped.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
} from '@temporalio/client';
import { scheduleJitterMs } from './scheduleJitter';
import { sweepScheduleId, sweepWorkflowId, type SweepInput } from '../common/sweep';

export const defaultSweepEverySeconds = 3600;

/** Creates the schedule; false when the queue has one already (it is left as it is). */
export async function createSweepSchedule(
  client: Client,
  taskQueue: string,
  everySeconds: number,
  input?: SweepInput,
): Promise<boolean> {
  try {
    await client.schedule.create({
      scheduleId: sweepScheduleId(taskQueue),
      spec: { intervals: [{ every: everySeconds * 1000 }], jitter: scheduleJitterMs(everySeconds) },
      action: {
        type: 'startWorkflow',
        workflowType: 'sweepEndedRuns',
        // Temporal appends the scheduled time, so every sweep has an id of its own.
        workflowId: sweepWorkflowId(taskQueue),
        taskQueue,
        // No input unless asked for: the sweep's defaults (a week back) then apply.
        args: input ? [input] : [],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: everySeconds * 1000 },
    });
    return true;
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return false;
    throw err;
  }
}

/** Whether the queue's sweep schedule exists (for `ekm check`). */
export async function sweepScheduled(client: Client, taskQueue: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(sweepScheduleId(taskQueue)).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
