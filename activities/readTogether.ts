// Reads that do not depend on one another, made at once in one activity: a revocation's baseline (the key,
// the access a method would remove, OpenAI's registration, projects and answers) and each probe round were
// a chain of activities one after the other; together they cost one action (docs/actions.md) and the
// slowest read's time instead of the sum. Reads only: a change is never made here, whatever a caller asks.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../common/errors';

/**
 * Heartbeats this often while the reads run. Under a shared quota the reads may queue for minutes (a
 * fleet's blast-radius reads list every registration of the organisation, behind every other child's), so
 * the activity's start-to-close is long and its heartbeat timeout is what finds a lost worker.
 */
const heartbeatEveryMs = 5_000;

/** Starts heartbeating; the returned function stops it. Outside an activity (a direct call) it does nothing. */
function heartbeating(): () => void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return () => undefined;
  }
  const timer = setInterval(() => context.heartbeat(), heartbeatEveryMs);
  return () => clearInterval(timer);
}

/** The read activities a run may make together, by their registered names (what the workflow asks for). */
export const readsTogether = [
  'describeKey',
  'snapshotAwsAccess',
  'describeGcpKey',
  'snapshotGcpAccess',
  'readExternalKey',
  'readBlastRadius',
  'readProjects',
  'validateExternalKey',
  'probeProjectData',
] as const;

export type ReadTogetherName = (typeof readsTogether)[number];

/** One read: the activity's name and its arguments, as the workflow would have called it alone. */
export interface ReadCall {
  read: ReadTogetherName;
  args: unknown[];
}

type ReadActivities = Record<ReadTogetherName, (...args: never[]) => Promise<unknown>>;

export function readTogetherActivity(activities: ReadActivities) {
  return async function readTogether(calls: ReadCall[]): Promise<unknown[]> {
    const unknown = calls.filter((c) => !readsTogether.includes(c.read));
    if (unknown.length)
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        nonRetryable: true,
        message: `read: ${unknown.map((c) => JSON.stringify(c.read)).join(', ')} is not a read that may be made together (one of ${readsTogether.join(', ')})`,
      });
    // Any read's failure fails them all, with its own type: the activity's retry policy decides, and a
    // retry reads everything again (reads are safe to repeat).
    const stop = heartbeating();
    try {
      return await Promise.all(
        calls.map((c) => (activities[c.read] as (...args: unknown[]) => Promise<unknown>)(...c.args)),
      );
    } finally {
      stop();
    }
  };
}
