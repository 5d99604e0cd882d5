// Writes the run's record — the hash-chained, signed chain (chain.json), the whole status for machines
// (evidence.json) and Markdown for people (evidence.md) — and keeps the access snapshot that `ekm restore`
// puts back. Idempotent: the chain is derived from the status alone and Ed25519 signatures are
// deterministic, so a retried activity writes the same bytes, which the write-once store accepts.
// Each writes under the run that called it (ownRun.ts), and a restore reads a snapshot only after checking
// it against the revocation's signed chain (keptSnapshot.ts).
import type { GcpAccessSnapshot } from '../../providers/gcp/activities/snapshotAccess';
import type { AwsAccessSnapshot } from '../../providers/aws/request';
import type { KeptSnapshot } from '../../common/runStatus';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { chainFile } from '../../common/evidenceChain';
import { evidenceMarkdown } from '../../providers/evidenceMarkdown';
import { buildChain, chainText } from './chain';
import { snapshotFile, snapshotSha256, verifiedSnapshot } from './keptSnapshot';
import { evidenceWorkflowTypes, ownRun, snapshotWorkflowTypes } from './ownRun';
import type { EvidenceStore } from './store';

export { snapshotFile };

/** `mode`: the worker's own (sandbox or production), which every chain it signs records. */
export function evidenceActivities(store: EvidenceStore, options: { mode?: 'sandbox' | 'production' } = {}) {
  return {
    async recordEvidence(
      run: RunStatus<RunSubject>,
    ): Promise<{ json: string; markdown: string; chain: string; headHash: string; signed: boolean }> {
      // The status names its run (the chain's header says whose it is): it must be the caller's own.
      ownRun('recordEvidence', evidenceWorkflowTypes, { workflowId: run.workflowId, runId: run.runId });
      // The chain first: evidence.json is what readers look for, so it never exists without its chain.
      const built = buildChain(run, store.signer, options.mode);
      const chain = await store.write(run.workflowId, run.runId, chainFile, chainText(built));
      const json = await store.write(
        run.workflowId,
        run.runId,
        'evidence.json',
        `${JSON.stringify(run, null, 2)}\n`,
      );
      const markdown = await store.write(run.workflowId, run.runId, 'evidence.md', evidenceMarkdown(run));
      return {
        json,
        markdown,
        chain,
        headHash: built.records[built.records.length - 1]!.hash,
        signed: built.signature !== null,
      };
    },
    /**
     * Keeps the snapshot under the calling run and answers its name and hash, which the run's chain then
     * records (kind `snapshot`). `workflowId`/`runId`: the older input's, accepted only when they are the
     * caller's own.
     */
    async keepAccessSnapshot(args: {
      workflowId?: string;
      runId?: string;
      snapshot: AwsAccessSnapshot | GcpAccessSnapshot;
    }): Promise<KeptSnapshot & { path: string }> {
      const run = ownRun('keepAccessSnapshot', snapshotWorkflowTypes, args);
      const path = await store.write(
        run.workflowId,
        run.runId,
        snapshotFile,
        `${JSON.stringify(args.snapshot, null, 2)}\n`,
      );
      return {
        workflowId: run.workflowId,
        runId: run.runId,
        file: snapshotFile,
        sha256: snapshotSha256(args.snapshot),
        path,
      };
    },
    /**
     * The snapshot a revocation run kept, read from the worker's own store — never from a request — and
     * only once its hash matches the one in that run's chain, signed by this worker's key.
     */
    async readAccessSnapshot(args: {
      workflowId: string;
      runId: string;
    }): Promise<AwsAccessSnapshot | GcpAccessSnapshot | null> {
      const found = await verifiedSnapshot(store, args, { sandbox: options.mode === 'sandbox' });
      return found ? (found.snapshot as AwsAccessSnapshot | GcpAccessSnapshot) : null;
    },
    async readEvidence(args: { workflowId: string; runId: string }): Promise<RunStatus | null> {
      const text = await store.read(args.workflowId, args.runId, 'evidence.json');
      return text ? (JSON.parse(text) as RunStatus) : null;
    },
  };
}
