import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPython, ToolInstallError } from '../../sandbox/tools/install';
import { findOnPath, preinstalledTemporal, resolveTools } from '../../sandbox/tools/resolve';

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  try {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('tool resolution', function () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-tools-'));
  const fakeTemporal = path.join(dir, 'temporal');
  fs.writeFileSync(fakeTemporal, '#!/bin/sh\n', { mode: 0o755 });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prefers the temporal CLI named by EKM_TEMPORAL_BIN', function () {
    withEnv({ EKM_TEMPORAL_BIN: fakeTemporal }, () => assert.equal(preinstalledTemporal(), fakeTemporal));
  });

  it('uses a temporal CLI found on PATH', function () {
    withEnv({ EKM_TEMPORAL_BIN: undefined, PATH: `/nonexistent${path.delimiter}${dir}` }, () => {
      assert.equal(findOnPath('temporal'), fakeTemporal);
      assert.equal(preinstalledTemporal(), fakeTemporal);
    });
  });

  it('refuses an EKM_TEMPORAL_BIN that is not an executable, naming the variable', function () {
    withEnv({ EKM_TEMPORAL_BIN: path.join(dir, 'missing') }, () =>
      assert.throws(() => resolveTools(), /EKM_TEMPORAL_BIN=.*missing is not an executable file/),
    );
  });

  it('finds the project-fetched tools in .tools/ (installed by `npm test` before this runs)', function () {
    withEnv({ EKM_TEMPORAL_BIN: undefined, PATH: '/nonexistent' }, () => {
      const tools = resolveTools();
      assert.match(tools.temporal, /\.tools\/venv\/bin\/temporal$/);
      assert.match(tools.temporalTestServer, /\.tools\/venv\/bin\/temporal-test-server$/);
      assert.match(tools.motoServer, /\.tools\/venv\/bin\/moto_server$/);
    });
  });
});

describe('tool installer', function () {
  it('without Python 3 stops with one sentence saying what to install', function () {
    withEnv({ PATH: '/nonexistent', EKM_PYTHON: undefined }, () =>
      assert.throws(
        () => findPython(),
        (err: Error) => {
          assert.ok(err instanceof ToolInstallError);
          assert.match(
            err.message,
            /^Python 3\.9 or newer is needed .*: install it \(e\.g\. `apt-get install python3 python3-venv`/,
          );
          return true;
        },
      ),
    );
  });
});
