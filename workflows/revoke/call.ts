// One way to call an activity with a summary the Web UI shows beside it, on the task queue its kind of work
// belongs to: changes go to the mutating worker's queue once the worker's settings name one.
import type { ActivityOptions } from '@temporalio/workflow';
import type { EkmActivities } from '../../activities';
import { isMutating } from '../../providers/mutatingActivities';
import {
  answerOptions,
  answers,
  changeOptions,
  changes,
  once,
  onceOptions,
  readManyOptions,
  readOptions,
  reads,
  readsMany,
} from './activities';

const kinds = {
  read: [reads, readOptions],
  readMany: [readsMany, readManyOptions],
  answer: [answers, answerOptions],
  change: [changes, changeOptions],
  once: [once, onceOptions],
} as const;

export type CallKind = keyof typeof kinds;

// Set from the run's settings (the same for every run of a worker's configuration); workflow module state
// is the run's own.
let changesQueue: string | undefined;

/** Sends this run's changes to `taskQueue` (the mutating worker's), or keeps them on the run's queue. */
export function routeChanges(taskQueue: string | undefined): void {
  changesQueue = taskQueue;
}

export function call<K extends keyof EkmActivities>(
  kind: CallKind,
  name: K,
  summary: string,
  ...args: Parameters<EkmActivities[K]>
): Promise<Awaited<ReturnType<EkmActivities[K]>>> {
  const [proxy, options] = kinds[kind];
  const activity = proxy[name] as unknown as {
    executeWithOptions(o: ActivityOptions, a: unknown[]): Promise<Awaited<ReturnType<EkmActivities[K]>>>;
  };
  const queue = changesQueue && isMutating(name) ? { taskQueue: changesQueue } : {};
  return activity.executeWithOptions({ ...options, ...queue, summary }, args);
}
