// Writes the run's record — the hash-chained, signed chain (chain.json), the whole status for machines
// (evidence.json) and Markdown for people (evidence.md) — and keeps the access snapshot that `ekm restore`
// puts back. Idempotent: the chain is derived from the status alone and Ed25519 signatures are
// deterministic, so a retried activity writes the same bytes, which the write-once store accepts.
import type { GcpAccessSnapshot } from '../gcp/snapshotAccess';
import type { AwsAccessSnapshot } from '../../common/revoke';
import type { RunStatus } from '../../common/runStatus';
import type { RunSubject } from '../../common/runSubject';
import { chainFile } from '../../common/evidenceChain';
import { evidenceMarkdown } from '../../common/evidenceMarkdown';
import { buildChain, chainText } from './chain';
import type { EvidenceStore } from './store';

export const snapshotFile = 'access-snapshot.json';

/** `mode`: the worker's own (sandbox or production), which every chain it signs records. */
export function evidenceActivities(store: EvidenceStore, options: { mode?: 'sandbox' | 'production' } = {}) {
  return {
    async recordEvidence(
      run: RunStatus<RunSubject>,
    ): Promise<{ json: string; markdown: string; chain: string; headHash: string; signed: boolean }> {
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
    async keepAccessSnapshot(args: {
      workflowId: string;
      runId: string;
      snapshot: AwsAccessSnapshot | GcpAccessSnapshot;
    }): Promise<string> {
      return store.write(
        args.workflowId,
        args.runId,
        snapshotFile,
        `${JSON.stringify(args.snapshot, null, 2)}\n`,
      );
    },
    /** The snapshot a revocation run kept, read from the worker's own store — never from a request. */
    async readAccessSnapshot(args: {
      workflowId: string;
      runId: string;
    }): Promise<AwsAccessSnapshot | GcpAccessSnapshot | null> {
      const text = await store.read(args.workflowId, args.runId, snapshotFile);
      return text ? (JSON.parse(text) as AwsAccessSnapshot | GcpAccessSnapshot) : null;
    },
    async readEvidence(args: { workflowId: string; runId: string }): Promise<RunStatus | null> {
      const text = await store.read(args.workflowId, args.runId, 'evidence.json');
      return text ? (JSON.parse(text) as RunStatus) : null;
    },
  };
}
