// Workflows that exist only to prove the test harness and the servers' capabilities. Product workflows
// are in workflows/.
import {
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EkmActivities } from '../../activities';
import type { KeyDescription } from '../../common/keys';
import { EkmAwaiting, EkmStage } from '../../common/searchAttributes';

/** Sleeps on a durable timer and reports how much workflow time passed. */
export async function durableTimer(duration: string): Promise<{ startedAt: number; endedAt: number }> {
  const startedAt = Date.now();
  await sleep(duration, { summary: 'the durable timer under test' });
  return { startedAt, endedAt: Date.now() };
}

export const approve = defineUpdate<string, [string]>('approve');
export const stage = defineQuery<string>('stage');

/** Waits for an approval by Update, with a deadline, keeping the search attributes current. */
export async function awaitApproval(deadline: string): Promise<string> {
  let approvedBy: string | undefined;
  upsertSearchAttributes([
    { key: EkmStage, value: 'awaiting-approval' },
    { key: EkmAwaiting, value: ['approval:test'] },
  ]);
  setHandler(stage, () => (approvedBy ? 'approved' : 'awaiting-approval'));
  setHandler(
    approve,
    (who) => {
      approvedBy = who;
      return `approved by ${who}`;
    },
    {
      validator: (who) => {
        if (!who) throw new Error('approver is empty');
      },
    },
  );
  const decided = await condition(() => approvedBy !== undefined, deadline);
  upsertSearchAttributes([
    { key: EkmStage, value: decided ? 'approved' : 'expired' },
    { key: EkmAwaiting, value: [] },
  ]);
  return decided ? `approved by ${approvedBy}` : 'expired';
}

/** Activities only the test harness's worker registers (test/fixtures/worker.ts `harnessActivities`). */
export interface HarnessActivities {
  createKey(request: { description: string; tags: Record<string, string> }): Promise<KeyDescription>;
}

const { createKey, describeKey } = proxyActivities<EkmActivities & HarnessActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** Creates a key through the product's activity, then reads it back through another. */
export async function createAndDescribeKey(): Promise<{
  created: KeyDescription;
  described: KeyDescription;
}> {
  const created = await createKey({
    description: 'ekm harness test key',
    tags: { 'ekm:workflow-id': workflowInfo().workflowId },
  });
  const described = await describeKey(created.keyId);
  return { created, described };
}

const { validateExternalKey } = proxyActivities<EkmActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '200ms',
    maximumInterval: '2s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['WorkerMisconfigured'],
  },
});

/** One validate, with the product's activity and a bounded retry policy. */
export async function validateOnce(externalKeyId: string) {
  return validateExternalKey(externalKeyId);
}
