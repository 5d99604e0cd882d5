// Attack (issue 16): a workflow that is not the key's deletion watch — here one registered only in the
// test bundle, as a modified bundle could be — asks the mutating worker to cancel a key's deletion.
import { proxyActivities } from '@temporalio/workflow';
import type { EkmActivities } from '../../activities';

const { cancelAwsKeyDeletion } = proxyActivities<EkmActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 1 },
});

/** Calls the watchdog's cancel on a key, from a run that is no watch of it. */
export async function cancelDeletionOutsideWatch(keyArn: string): Promise<string> {
  return (await cancelAwsKeyDeletion({ keyArn })).description;
}
