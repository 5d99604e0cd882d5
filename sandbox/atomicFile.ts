// Files other programs read while the sandbox runs are replaced whole: written beside their final name,
// then renamed over it, so a reader sees the old content or the new, never half of either.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, content: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, file);
}

/** Fills a fresh directory through `fill`, then puts it in place of `dir` (which must not exist). */
export function writeDirAtomic(dir: string, fill: (tempDir: string) => void): void {
  const temp = path.join(path.dirname(dir), `.${path.basename(dir)}.${process.pid}.tmp`);
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(temp, { recursive: true });
  fill(temp);
  fs.renameSync(temp, dir);
}
