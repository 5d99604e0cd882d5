// Where a run's record and its access snapshot are kept outside Temporal (closed histories are deleted
// after the namespace's retention; auditors keep records far longer). Today a directory the worker owns;
// the trust issue puts a hash-chained, signed sink with an S3 Object Lock option behind this same module.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface EvidenceStore {
  write(workflowId: string, runId: string, name: string, content: string): Promise<string>;
  read(workflowId: string, runId: string, name: string): Promise<string | undefined>;
  /** The run ids stored for a workflow id, newest last. */
  runs(workflowId: string): Promise<string[]>;
}

/** Workflow ids hold ':' and '/' (they name key ARNs): each becomes a safe folder name. */
export function folderFor(workflowId: string): string {
  return workflowId.replace(/[^A-Za-z0-9._-]/g, (c) => `~${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function directoryEvidenceStore(root: string): EvidenceStore {
  const dirOf = (workflowId: string, runId: string) => path.join(root, folderFor(workflowId), runId);
  return {
    async write(workflowId, runId, name, content) {
      const dir = dirOf(workflowId, runId);
      await fs.promises.mkdir(dir, { recursive: true });
      const file = path.join(dir, name);
      // Write whole then rename, so a crash never leaves half a record behind.
      const partial = `${file}.partial`;
      await fs.promises.writeFile(partial, content, { mode: 0o640 });
      await fs.promises.rename(partial, file);
      return file;
    },
    async read(workflowId, runId, name) {
      try {
        return await fs.promises.readFile(path.join(dirOf(workflowId, runId), name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
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
