// `ekm --version`: the package version and the build id — EKM_BUILD_ID when set, else the one the build
// recorded (dist/build-info.json): the checkout's commit here, the same id a versioned worker joins with.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const cli = path.join(__dirname, '..', '..', 'client', 'cli.js');
const ekm = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
const { version } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
) as { version: string };

describe('ekm --version', function () {
  const withoutBuildId = { EKM_BUILD_ID: '' };

  it('prints the package version and the commit the build recorded, as a line and as JSON', function () {
    const info = JSON.parse(ekm(['--version', '--json'], withoutBuildId)) as Record<string, string>;
    assert.equal(info.version, version);
    assert.equal(info.buildIdSource, 'build');
    // The build ran in a git checkout: version-commit, `-dirty-<code hash>` when files differed from it.
    assert.match(
      info.buildId!,
      new RegExp(`^${version.replace(/\./g, '\\.')}-[0-9a-f]{12}(-dirty-[0-9a-f]{12})?$`),
    );
    assert.ok(info.buildId!.startsWith(`${version}-${info.commit}`), info.buildId);
    assert.equal(
      ekm(['-V'], withoutBuildId).trim(),
      `ekm ${version} (build ${info.buildId}, from build; node ${process.version})`,
    );
  });

  it('EKM_BUILD_ID, when set, is the build id (the commit is still reported)', function () {
    const info = JSON.parse(ekm(['--version', '--json'], { EKM_BUILD_ID: 'ekm-2026.12.07-a' })) as Record<
      string,
      string
    >;
    assert.equal(info.buildId, 'ekm-2026.12.07-a');
    assert.equal(info.buildIdSource, 'EKM_BUILD_ID');
    assert.match(info.commit!, /^[0-9a-f]{12}$/);
  });

  it('a malformed EKM_BUILD_ID is refused as the worker refuses it, naming the variable (exit 2)', function () {
    const run = spawnSync(process.execPath, [cli, '--version'], {
      encoding: 'utf8',
      env: { ...process.env, EKM_BUILD_ID: 'has space' },
    });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^ekm: EKM_BUILD_ID=has space: must be a build id/);
    assert.equal(run.stdout, '');
  });
});
