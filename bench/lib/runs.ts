// Revocations as the benchmarks drive them — started on a seeded key, approved by a person through the
// vote Update — and what they read back: the run's history (its timestamps are the measurements) and
// moto's recording (the exactly-once check).
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { keyWorkflowId } from '../../common/workflowIds';
import type { AwsRevokeKeyInput } from '../../providers/aws/request';
import type { RunStatus } from '../../providers/runStatus';
import type { DemoOrganisation } from '../../sandbox/openai/demo';
import { statusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { eventTimeMs, stepsBetween, type Step } from './breakdown';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export type History = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

/** The revocation the benchmarks run: key-policy-deny (one PutKeyPolicy: the change moto's recording counts). */
export function revokeRequest(o: DemoOrganisation): AwsRevokeKeyInput {
  return {
    provider: 'aws',
    product: 'api',
    keyArn: o.aws.keyArn,
    roleArn: o.aws.roleArn,
    method: 'key-policy-deny',
    externalKeyId: o.openai.externalKeyId,
    projectIds: o.openai.projects.map((p) => p.id),
    probes: o.openai.projects.flatMap((p) => [
      { projectId: p.id, kind: 'file' as const, id: p.probes.fileId },
      { projectId: p.id, kind: 'response' as const, id: p.probes.responseId },
      { projectId: p.id, kind: 'model' as const, id: p.probes.fineTunedModel },
    ]),
    requester: 'rita@example.com',
    reason: 'benchmark: the key is suspected compromised',
    changeTicket: 'BENCH-1',
  };
}

export function startRevocation(
  client: Client,
  taskQueue: string,
  o: DemoOrganisation,
): Promise<WorkflowHandle> {
  return client.workflow.start(revokeKey, {
    taskQueue,
    workflowId: keyWorkflowId(o.aws.keyArn),
    args: [revokeRequest(o)],
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Status queries asked again because nobody answered in time (counted, as a busy worker's sign). */
export const queryRetries = { count: 0 };

/** Polls the run's status until `ready` holds; fails if it ends first or time runs out. */
export async function waitForStatus(
  handle: WorkflowHandle,
  ready: (s: RunStatus) => boolean,
  what: string,
  timeoutMs: number,
): Promise<RunStatus> {
  const until = Date.now() + timeoutMs;
  let last: RunStatus | undefined;
  while (Date.now() < until) {
    try {
      last = (await handle.query(statusQuery)) as RunStatus;
      if (ready(last)) return last;
      if (last.endState) break;
    } catch (err) {
      // Before its first workflow task a run has no handler; while a worker restarts, no one answers; a
      // worker busy with a thousand runs answers past the query's deadline (the reason is in the cause).
      const said = `${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`;
      if (!/QueryNotRegistered|not registered|deadline|timeout|timed out|no poller/i.test(said)) throw err;
      queryRetries.count++;
    }
    await pause(500);
  }
  throw new Error(
    `${handle.workflowId}: waited for ${what}; the run is at ${last?.stage}${last?.endState ? `, ended ${last.endState}: ${last.endReason}` : ''}`,
  );
}

export const stepState = (s: RunStatus, step: string) => s.steps.find((x) => x.step === step)?.state;

/** Runs `each` over `items`, at most `limit` at a time (status polls of hundreds of runs at once would be the load). */
export async function inBatches<T, R>(
  items: T[],
  limit: number,
  each: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await each(items[i]!);
      }
    }),
  );
  return results;
}

/** A person approves the open gate of this kind (unsigned: the bench worker is a sandbox worker). */
export async function approve(handle: WorkflowHandle, kind: string, approver: string, timeoutMs: number) {
  const status = await waitForStatus(handle, (s) => s.openGate?.kind === kind, `the ${kind} gate`, timeoutMs);
  return approveGate(handle, status.openGate!, approver);
}

/** The vote on a gate already read from the run's status: no query at the moment of approval. */
export function approveGate(
  handle: WorkflowHandle,
  gate: { gateId: string; planHash: string },
  approver: string,
) {
  return handle.executeUpdate(voteUpdate, {
    args: [{ gateId: gate.gateId, planHash: gate.planHash, decision: 'approve', approver }],
  });
}

export async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

function activityStartedOf(events: HistoryEvent[], type: string): HistoryEvent | undefined {
  const scheduled = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === type,
  );
  if (!scheduled) return undefined;
  return events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
      Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId),
  );
}

/** The first accepted vote: the revoke gate's approval. */
function approvalOf(events: HistoryEvent[]): HistoryEvent | undefined {
  return events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED &&
      e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === voteUpdate.name,
  );
}

/**
 * Approval → the change started: from the revoke gate's accepted vote (the Update's accepted event) to
 * the revoke activity's ActivityTaskStarted, in ms. Undefined while either is missing.
 */
export function approvalToChangeMs(
  events: HistoryEvent[],
  changeActivity = 'revokeAwsAccess',
): number | undefined {
  const started = activityStartedOf(events, changeActivity);
  const approval = approvalOf(events);
  return started && approval ? eventTimeMs(started) - eventTimeMs(approval) : undefined;
}

/** The steps from the approval to the change's start (bench/lib/breakdown.ts); empty while either is missing. */
export function approvalToChangeSteps(events: HistoryEvent[], changeActivity = 'revokeAwsAccess'): Step[] {
  const started = activityStartedOf(events, changeActivity);
  const approval = approvalOf(events);
  return started && approval ? stepsBetween(events, approval, started) : [];
}

/** Activities the run started between the approval and the change (each a round trip through the server). */
export function activitiesBeforeChange(events: HistoryEvent[], changeActivity = 'revokeAwsAccess'): number {
  const approval = approvalOf(events);
  const change = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === changeActivity,
  );
  if (!approval || !change) return 0;
  return events.filter(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      Number(e.eventId) > Number(approval.eventId) &&
      Number(e.eventId) < Number(change.eventId),
  ).length;
}

/**
 * The cache wait's end — its timer is the one of `cacheWaitSeconds` (validate's and the probes' pauses
 * are timers too): when it fired, and when the next step's first activity started (the run resumed), in
 * epoch ms.
 */
export function resumeAfterWait(
  events: HistoryEvent[],
  cacheWaitSeconds: number,
): { firedAt: number; resumedAt?: number } | undefined {
  const started = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_TIMER_STARTED &&
      Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) === cacheWaitSeconds,
  );
  const fired = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_TIMER_FIRED &&
      started !== undefined &&
      Number(e.timerFiredEventAttributes?.startedEventId) === Number(started.eventId),
  );
  if (!fired) return undefined;
  const next = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && Number(e.eventId) > Number(fired.eventId),
  );
  return { firedAt: eventTimeMs(fired), resumedAt: next ? eventTimeMs(next) : undefined };
}

/**
 * The run's resume after the cache wait, once its history shows it: an activity's started event is
 * written when the activity ends, so the next step's start appears a little after the step itself.
 */
export async function waitForResume(
  handle: WorkflowHandle,
  cacheWaitSeconds: number,
  timeoutMs: number,
): Promise<{ firedAt: number; resumedAt: number; events: HistoryEvent[] }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const events = await historyOf(handle);
    const resume = resumeAfterWait(events, cacheWaitSeconds);
    if (resume?.resumedAt !== undefined)
      return { firedAt: resume.firedAt, resumedAt: resume.resumedAt, events };
    if (Date.now() > until)
      throw new Error(
        `${handle.workflowId}: no resume after the ${cacheWaitSeconds} s cache wait in its history`,
      );
    await pause(1000);
  }
}

/** What a completed run cost in Temporal's terms, counted from its history. */
export interface HistoryCounts {
  events: number;
  activities: number;
  workflowTasks: number;
  timers: number;
  childWorkflows: number;
  updates: number;
  signals: number;
}

export function countHistory(events: HistoryEvent[]): HistoryCounts {
  const count = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
  return {
    events: events.length,
    activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
    childWorkflows: count(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
    updates: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
    signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
  };
}

const troubled = (e: HistoryEvent) =>
  e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
  e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT;

/**
 * Workflow tasks that failed or timed out (the server's or the worker's trouble, seen by the run), or only
 * those from `sinceMs` (epoch ms) on.
 */
export function troubledWorkflowTasks(events: HistoryEvent[], sinceMs = -Infinity): number {
  return events.filter((e) => troubled(e) && eventTimeMs(e) >= sinceMs).length;
}

/** The same tasks by kind: "timed out (START_TO_CLOSE)", "failed (UNHANDLED_COMMAND)", … and how many. */
export function troubleKinds(
  events: HistoryEvent[],
  into: Record<string, number> = {},
): Record<string, number> {
  for (const e of events.filter(troubled)) {
    const kind =
      e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
        ? `timed out (${temporal.api.enums.v1.TimeoutType[e.workflowTaskTimedOutEventAttributes?.timeoutType ?? 0]?.replace('TIMEOUT_TYPE_', '')})`
        : `failed (${temporal.api.enums.v1.WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes?.cause ?? 0]?.replace('WORKFLOW_TASK_FAILED_CAUSE_', '')})`;
    into[kind] = (into[kind] ?? 0) + 1;
  }
  return into;
}

/**
 * Each line of a file, read a chunk at a time: moto's recording of a full bench run (every request since the
 * world started, thousands of seeded keys' included) outgrows the longest string Node can hold (512 MiB).
 */
export const recordingChunkBytes = 16 * 2 ** 20;

function forEachLine(file: string, visit: (line: string) => void): void {
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(recordingChunkBytes);
    // A character cut in two by the chunk's end is held back until the next chunk completes it.
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      const lines = (rest + decoder.write(chunk.subarray(0, read))).split('\n');
      rest = lines.pop()!;
      lines.forEach(visit);
    }
    if (rest) visit(rest);
  } finally {
    fs.closeSync(fd);
  }
}

/** How many times moto was asked to change each key's policy (PutKeyPolicy), from its request recording. */
export function putKeyPolicyCounts(recordingFile: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!fs.existsSync(recordingFile)) return counts;
  forEachLine(recordingFile, (line) => {
    if (!line.includes('PutKeyPolicy')) return;
    const entry = JSON.parse(line) as {
      headers: Record<string, string>;
      body: string;
      body_encoded: boolean;
    };
    const target = Object.entries(entry.headers).find(([h]) => h.toLowerCase() === 'x-amz-target')?.[1];
    if (target !== 'TrentService.PutKeyPolicy') return;
    const body = entry.body_encoded ? Buffer.from(entry.body, 'base64').toString('utf8') : entry.body;
    const keyId = (JSON.parse(body) as { KeyId: string }).KeyId;
    counts.set(keyId, (counts.get(keyId) ?? 0) + 1);
  });
  return counts;
}

/** The check every benchmark ends with: each key it revoked had its policy changed exactly once. */
export function changedOnce(recordingFile: string, organisations: DemoOrganisation[]) {
  const counts = putKeyPolicyCounts(recordingFile);
  const times = organisations.map((o) => (counts.get(o.aws.keyArn) ?? 0) + (counts.get(o.aws.keyId) ?? 0));
  const wrong = times.filter((n) => n !== 1).length;
  return {
    what: `PutKeyPolicy per revoked key (moto's recording), ${organisations.length} keys`,
    ok: wrong === 0,
    detail:
      wrong === 0
        ? 'each exactly once'
        : `${wrong} key(s) changed ${[...new Set(times.filter((n) => n !== 1))].join('/')} times`,
  };
}

/** Ends runs a benchmark has measured (the next benchmark starts on an idle worker). */
export async function terminateAll(handles: WorkflowHandle[]): Promise<void> {
  await inBatches(handles, 20, (h) => h.terminate('benchmark measured').catch(() => undefined));
}
