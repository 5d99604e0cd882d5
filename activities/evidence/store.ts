// Where a run's record and its access snapshot are kept outside Temporal (closed histories are deleted
// after the namespace's retention; auditors keep records far longer): a directory the worker owns, or an
// S3 bucket with Object Lock (s3Store.ts). Both are write-once: a name written once keeps its content; a
// retried write of the same bytes succeeds, a write of other bytes is refused — so a record cannot be
// replaced through the store, only added.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { EvidenceSigner } from './signer';

export interface EvidenceStore {
  write(workflowId: string, runId: string, name: string, content: string): Promise<string>;
  read(workflowId: string, runId: string, name: string): Promise<string | undefined>;
  /** The run ids stored for a workflow id, newest last. */
  runs(workflowId: string): Promise<string[]>;
  /** The key that signs the evidence chains written here (absent: chains are written unsigned). */
  signer?: EvidenceSigner;
}

/** Workflow ids hold ':' and '/' (they name key ARNs): each becomes a safe folder name. */
export function folderFor(workflowId: string): string {
  return workflowId.replace(/[^A-Za-z0-9._-]/g, (c) => `~${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A write that would change a stored record: never retried (the stored record stands). */
export function conflict(where: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'EvidenceConflict',
    nonRetryable: true,
    message: `${where} already holds different content; evidence is write-once, the stored record stands`,
  });
}

/**
 * `signer` may be a function: called on the first record written, not before, so a sandbox worker that
 * never records evidence never creates its key (nor the directory it lives in).
 */
export function directoryEvidenceStore(
  root: string,
  signer?: EvidenceSigner | (() => EvidenceSigner | undefined),
): EvidenceStore {
  let loaded: { signer?: EvidenceSigner } | undefined = typeof signer === 'function' ? undefined : { signer };
  const dirOf = (workflowId: string, runId: string) => path.join(root, folderFor(workflowId), runId);
  const readIfThere = async (file: string) => {
    try {
      return await fs.promises.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    get signer() {
      loaded ??= { signer: typeof signer === 'function' ? signer() : signer };
      return loaded.signer;
    },
    async write(workflowId, runId, name, content) {
      const dir = dirOf(workflowId, runId);
      await fs.promises.mkdir(dir, { recursive: true });
      const file = path.join(dir, name);
      const existing = await readIfThere(file);
      if (existing !== undefined) {
        if (existing === content) return file;
        throw conflict(file);
      }
      // Write whole, then link into place: a crash never leaves half a record behind, and link (unlike
      // rename) refuses to replace a file another attempt put there meanwhile.
      const partial = `${file}.${process.pid}.partial`;
      await fs.promises.writeFile(partial, content, { mode: 0o640 });
      try {
        await fs.promises.link(partial, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if ((await readIfThere(file)) !== content) throw conflict(file);
      } finally {
        await fs.promises.rm(partial, { force: true });
      }
      return file;
    },
    async read(workflowId, runId, name) {
      return readIfThere(path.join(dirOf(workflowId, runId), name));
    },
    async runs(workflowId) {
      const dir = path.join(root, folderFor(workflowId));
      try {
        const entries = await fs.promises.readdir(dir);
        const withTimes = await Promise.all(
          entries.map(async (e) => ({ e, t: (await fs.promises.stat(path.join(dir, e))).mtimeMs })),
        );
        return withTimes.sort((a, b) => a.t - b.t).map((x) => x.e);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
  };
}
