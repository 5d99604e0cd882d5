// An attacker's workflow, registered only in the tests' bundle: anyone with namespace access can start a
// workflow of any type the workers know (or poll with a modified bundle). It calls the evidence activities
// naming another, running run — its workflow id and run id — to write that run's record before the run
// does (so the real run's own write fails as a conflict) or to plant a snapshot its restore would apply.
import { proxyActivities } from '@temporalio/workflow';
import type { EkmActivities } from '../../activities';
import type { AccessSnapshot } from '../../providers/requests';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';

const { recordEvidence, keepAccessSnapshot } = proxyActivities<EkmActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 1 },
});

export interface ForgeEvidenceInput {
  /** The run whose record is forged. */
  workflowId: string;
  runId: string;
  status: RunStatus<RunSubject>;
  snapshot: AccessSnapshot;
}

/** Returns what each call answered ('written: …' or 'refused: …'), so the test sees both attempts. */
export async function forgeEvidence(input: ForgeEvidenceInput): Promise<string[]> {
  const outcomes: string[] = [];
  const attempt = async (what: string, write: () => Promise<unknown>) => {
    try {
      outcomes.push(`${what} written: ${JSON.stringify(await write())}`);
    } catch (err) {
      const cause = (err as { cause?: { message?: string; type?: string } }).cause;
      outcomes.push(`${what} refused: ${cause?.type ?? ''} ${cause?.message ?? (err as Error).message}`);
    }
  };
  await attempt('snapshot', () =>
    keepAccessSnapshot({ workflowId: input.workflowId, runId: input.runId, snapshot: input.snapshot }),
  );
  await attempt('record', () =>
    recordEvidence({ ...input.status, workflowId: input.workflowId, runId: input.runId }),
  );
  return outcomes;
}
