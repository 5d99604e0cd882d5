// The access snapshot a revocation keeps, named by its hash in the signed chain, and the check a restore
// makes before it applies anything: the revocation's chain is intact, signed by this worker's own evidence
// key and the named run's, its evidence.json says what the chain says, and the snapshot file's hash is the
// one the chain records. A snapshot edited on disk, a chain re-signed by another key or copied from
// another run, is refused — the restore changes nothing.
import { ApplicationFailure } from '@temporalio/common';
import { snapshotId } from '../../common/planActions';
import { EkmError } from '../../common/errors';
import { chainFile, type EvidenceChain } from '../../common/evidenceChain';
import type { KeptSnapshot } from '../../common/runStatus';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import type { EvidenceStore } from './store';
import { verifyChain } from './verify';

export const snapshotFile = 'access-snapshot.json';

/** `sha256:` + hex sha256 of the snapshot's canonical JSON (as JSON carries it: undefined fields dropped). */
export function snapshotSha256(snapshot: unknown): string {
  // The same hash the restore gate's action names the snapshot by (common/planActions.ts), as written.
  return `sha256:${snapshotId(JSON.parse(JSON.stringify(snapshot)) as unknown)}`;
}

function refuse(run: { workflowId: string; runId: string }, why: string): never {
  throw ApplicationFailure.create({
    type: EkmError.EvidenceUnverified,
    nonRetryable: true,
    message: `revokeRunId: the evidence of ${run.workflowId} / ${run.runId} does not verify: ${why}; nothing was changed`,
  });
}

export interface VerifyOptions {
  /** A sandbox worker accepts an unsigned chain (its integrity and the snapshot's hash are still checked). */
  sandbox: boolean;
}

/**
 * The snapshot the named revocation kept, after checking it against that run's signed chain; refuses with
 * EvidenceUnverified naming what did not match. Undefined when the run kept no snapshot at all.
 */
export async function verifiedSnapshot(
  store: EvidenceStore,
  run: { workflowId: string; runId: string },
  options: VerifyOptions,
): Promise<{ snapshot: unknown; kept: KeptSnapshot } | undefined> {
  const snapshotText = await store.read(run.workflowId, run.runId, snapshotFile);
  if (snapshotText === undefined) return undefined;
  const chainText = await store.read(run.workflowId, run.runId, chainFile);
  if (chainText === undefined) refuse(run, `there is no ${chainFile} (the run wrote no signed record)`);
  const evidenceText = await store.read(run.workflowId, run.runId, 'evidence.json');
  let chain: EvidenceChain;
  let evidence: RunStatus<RunSubject> | undefined;
  try {
    chain = JSON.parse(chainText) as EvidenceChain;
    evidence = evidenceText === undefined ? undefined : (JSON.parse(evidenceText) as RunStatus<RunSubject>);
  } catch (err) {
    refuse(run, `its chain or evidence.json is not JSON (${(err as Error).message})`);
  }
  // The chain must be the run the restore names, not a valid chain copied into its folder.
  if (chain.workflowId !== run.workflowId || chain.runId !== run.runId)
    refuse(run, `the chain in its folder is of ${String(chain.workflowId)} / ${String(chain.runId)}`);
  const signer = store.signer;
  if (!signer && !options.sandbox)
    refuse(
      run,
      'this worker has no evidence signing key (evidence.signingKeyFile or evidence.signingKeyEnv), so it cannot tell its own chains from forged ones; configure the key, or put access back by hand after checking the snapshot',
    );
  if (chain.signature === null && signer && !options.sandbox)
    refuse(run, 'the chain is unsigned (written by a worker with no signing key)');
  if (chain.signature !== null || !options.sandbox) {
    // Always this worker's own key: the key a chain names in its header is whoever re-signed it.
    const verdict = verifyChain(chain, {
      ...(signer ? { publicKey: signer.publicKey } : {}),
      ...(evidence ? { evidence } : {}),
    });
    if (!verdict.ok)
      refuse(
        run,
        `${verdict.summary}${signer ? ` (checked with this worker's key ${signer.fingerprint})` : ''}`,
      );
  } else {
    // Sandbox, unsigned: still intact and consistent (verifyChain refuses any unsigned chain).
    const verdict = verifyChain({ ...chain, signature: null }, evidence ? { evidence } : {});
    if (!verdict.ok && !/not signed/.test(verdict.summary)) refuse(run, verdict.summary);
  }
  const recorded = chain.records.find((r) => r.kind === 'snapshot')?.body as KeptSnapshot | undefined;
  if (!recorded)
    refuse(
      run,
      'its chain names no access snapshot (a revocation recorded before ekm kept snapshot hashes): compare access-snapshot.json with the cloud by hand',
    );
  if (
    recorded.workflowId !== run.workflowId ||
    recorded.runId !== run.runId ||
    recorded.file !== snapshotFile
  )
    refuse(
      run,
      `its chain names the snapshot ${recorded.file} of ${recorded.workflowId} / ${recorded.runId}`,
    );
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(snapshotText);
  } catch {
    refuse(run, `${snapshotFile} is not JSON`);
  }
  const actual = snapshotSha256(snapshot);
  if (actual !== recorded.sha256)
    refuse(
      run,
      `the access snapshot's sha256 is ${actual}, which does not match the ${recorded.sha256} its signed evidence records (${snapshotFile} was changed after it was kept)`,
    );
  return { snapshot, kept: recorded };
}
