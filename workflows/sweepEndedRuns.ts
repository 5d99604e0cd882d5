// The sweep of ended runs (common/sweep.ts): run by a Temporal Schedule (`ekm schedule sweep`, and the
// sandbox's own), it has one activity list the runs that were terminated or timed out without evidence
// and record how each ended.
import { proxyActivities } from '@temporalio/workflow';
import type { EkmActivities } from '../activities';
import { finalErrorTypes } from '../common/errors';
import type { SweepInput, SweepResult } from '../common/sweep';

const { recordEndedRuns } = proxyActivities<EkmActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: finalErrorTypes },
});

export async function sweepEndedRuns(input: SweepInput = {}): Promise<SweepResult> {
  return recordEndedRuns(input);
}
