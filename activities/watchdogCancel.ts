// The one automatic change: the deletion watchdog cancelling a key's deletion (or a Cloud KMS key's
// destruction) because the key is still in use. No person approves it, so it is bound instead: only a
// `watchKeyDeletion` run whose id is that very key's watch id may ask for it, only when this worker's own
// configuration enables it (watchdog.cancelDeletionOnUse), and every cancel it makes is logged by the
// worker and named in the watch's result (its record).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../common/errors';
import { isWatchOf } from '../common/watchdog';
import type { WorkerConfig } from '../worker/config';

/** Why the run calling this activity may not cancel the deletion of `key`; undefined when it may. */
export function whyCancelRefused(config: WorkerConfig, key: string): string | undefined {
  if (!config.watchdog.cancelDeletionOnUse)
    return 'this worker’s configuration does not enable it (watchdog.cancelDeletionOnUse is false)';
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return 'it was not called from a workflow run, so no watch of the key asked for it';
  }
  const { workflowType, workflowExecution } = info;
  if (!workflowExecution) return 'it was not called from a workflow run, so no watch of the key asked for it';
  if (workflowType !== 'watchKeyDeletion')
    return `only the key’s deletion watch (watchKeyDeletion) cancels automatically; ${workflowExecution.workflowId} is a ${workflowType} run`;
  if (!isWatchOf(workflowExecution.workflowId, key))
    return `${workflowExecution.workflowId} is not the watch of ${key} (a watch cancels only the deletion of the key it watches)`;
  return undefined;
}

/** Wraps a cancel so that it refuses unless `whyCancelRefused` allows it, and logs each cancel it makes. */
export function boundToItsWatch<I extends object, R extends { changed: boolean; description: string }>(
  config: WorkerConfig,
  keyOf: (input: I) => string,
  cancel: (input: I) => Promise<R>,
): (input: I) => Promise<R> {
  return async function cancelOnlyForItsWatch(input) {
    const key = keyOf(input);
    const why = whyCancelRefused(config, key);
    if (why)
      throw ApplicationFailure.create({
        type: EkmError.AutomaticActionRefused,
        nonRetryable: true,
        message: `refused to cancel the deletion of ${key}: ${why}`,
      });
    const result = await cancel(input);
    if (!result.changed) return result;
    const { workflowId, runId } = Context.current().info.workflowExecution!;
    const record = `automatic cancel by the deletion watch ${workflowId} (run ${runId}), enabled by watchdog.cancelDeletionOnUse`;
    Context.current().log.warn(`ekm worker: ${record}: ${result.description}`);
    return { ...result, description: `${result.description} (${record})` };
  };
}
