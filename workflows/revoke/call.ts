// One way to call an activity with a summary the Web UI shows beside it.
import type { ActivityOptions } from '@temporalio/workflow';
import type { EkmActivities } from '../../activities';
import {
  answerOptions,
  answers,
  changeOptions,
  changes,
  once,
  onceOptions,
  readOptions,
  reads,
} from './activities';

const kinds = {
  read: [reads, readOptions],
  answer: [answers, answerOptions],
  change: [changes, changeOptions],
  once: [once, onceOptions],
} as const;

export type CallKind = keyof typeof kinds;

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
  return activity.executeWithOptions({ ...options, summary }, args);
}
