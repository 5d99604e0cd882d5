// Writes the run's record (JSON for machines, Markdown for people) and keeps the access snapshot that
// `ekm restore` puts back. Idempotent: writing the same record twice leaves the same files.
import type { AwsAccessSnapshot } from '../../common/revoke';
import type { RunStatus } from '../../common/runStatus';
import type { RunSubject } from '../../common/runSubject';
import { evidenceMarkdown } from '../../common/evidenceMarkdown';
import type { EvidenceStore } from './store';

export const snapshotFile = 'access-snapshot.json';

export function evidenceActivities(store: EvidenceStore) {
  return {
    async recordEvidence(run: RunStatus<RunSubject>): Promise<{ json: string; markdown: string }> {
      const json = await store.write(
        run.workflowId,
        run.runId,
        'evidence.json',
        `${JSON.stringify(run, null, 2)}\n`,
      );
      const markdown = await store.write(run.workflowId, run.runId, 'evidence.md', evidenceMarkdown(run));
      return { json, markdown };
    },
    async keepAccessSnapshot(args: {
      workflowId: string;
      runId: string;
      snapshot: AwsAccessSnapshot;
    }): Promise<string> {
      return store.write(
        args.workflowId,
        args.runId,
        snapshotFile,
        `${JSON.stringify(args.snapshot, null, 2)}\n`,
      );
    },
    /** The snapshot a revocation run kept, read from the worker's own store — never from a request. */
    async readAccessSnapshot(args: { workflowId: string; runId: string }): Promise<AwsAccessSnapshot | null> {
      const text = await store.read(args.workflowId, args.runId, snapshotFile);
      return text ? (JSON.parse(text) as AwsAccessSnapshot) : null;
    },
    async readEvidence(args: { workflowId: string; runId: string }): Promise<RunStatus | null> {
      const text = await store.read(args.workflowId, args.runId, 'evidence.json');
      return text ? (JSON.parse(text) as RunStatus) : null;
    },
  };
}
