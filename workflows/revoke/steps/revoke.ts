// Step "revoke": snapshot what the method will remove (still a read: a cancel there changes nothing), keep
// it for `ekm restore`, then the change — which, once scheduled, runs to its end; a cancel after it stops at
// the next safe point.
import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import { rootMessage } from '../../../common/rootMessage';
import type { AccessSnapshot } from '../../../providers/requests';
import { Ended } from '../../ended';
import { call } from '../call';
import { patchedBeforeCheaper } from '../cheaperRuns';
import type { Revocation } from '../revocation';
import { now } from '../runRecord';

/**
 * `fresh`: what the method will remove as the read right after the approval found it (cheaper runs; that
 * read is the snapshot's own, made right before the change); runs from before read it again here.
 */
export async function revoke(
  run: Revocation,
  fresh?: AccessSnapshot,
): Promise<{ snapshot: AccessSnapshot; revokedAt: string }> {
  const { request, record, gates, state, cloud } = run;
  record.start('revoke');
  const { workflowId, runId } = workflowInfo();
  const snapshot = fresh ?? (await cloud.snapshotAccess(request));
  const kept = await call('change', 'keepAccessSnapshot', 'keep the snapshot for `ekm restore`', {
    workflowId,
    runId,
    snapshot,
  });
  // The snapshot's hash goes into the run's signed chain: a restore applies only the snapshot it names.
  // (Older runs recorded none; their activity answered the file's path alone.)
  if (patchedBeforeCheaper('access-snapshot-hash-in-evidence'))
    record.status.accessSnapshot = {
      workflowId: kept.workflowId,
      runId: kept.runId,
      file: kept.file,
      sha256: kept.sha256,
    };
  state.zone = 'revoking';
  const change = await CancellationScope.nonCancellable(() =>
    cloud.revokeAccess(request, snapshot, gates.proof('revoke')),
  ).catch((err: unknown) => {
    // The method refused (e.g. a managed policy also grants the key) or the cloud refused us: the
    // change may not have happened — or, for a method that edits several policies, only in part.
    record.update('revoke', 'failed', rootMessage(err));
    throw new Ended(
      'revoke-failed',
      `the revoke failed: ${rootMessage(err)}; compare the key and role with the snapshot`,
    );
  });
  state.zone = 'revoked';
  const revokedAt = now();
  record.done('revoke', change.description, change);
  return { snapshot, revokedAt };
}
