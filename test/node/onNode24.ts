// `npm run test:node24`: the unit and workflow suites and a representative end-to-end subset (a revocation
// per cloud, a restore) on Node 24, fetched from npm into .tools/node24 (sandbox/tools/installNode.ts).
// Everything the tests spawn (the `ekm` binary, workers, the launcher) runs on the same Node: they use
// process.execPath.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { projectRoot } from '../../sandbox/paths';
import { installNode } from '../../sandbox/tools/installNode';

const node = installNode('24');
const mocha = path.join(projectRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');

function run(what: string, args: string[]): void {
  const started = Date.now();
  const result = spawnSync(node, args, { cwd: projectRoot, stdio: 'inherit' });
  console.log(`node24: ${what} took ${Math.round((Date.now() - started) / 1000)} s`);
  if (result.status !== 0) {
    console.error(`node24: ${what} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

// The native Temporal core (a Node-API addon) must load on this Node, or nothing below can run a worker.
run('loading @temporalio/core-bridge', [
  '-e',
  "const { native } = require('@temporalio/core-bridge'); if (typeof native.newRuntime !== 'function') throw new Error('core-bridge loaded without its native functions'); console.log('node24: ' + process.version + ', @temporalio/core-bridge loaded');",
]);
run('unit and workflow suites', [mocha, 'dist/test/unit/**/*.test.js', 'dist/test/workflow/**/*.test.js']);
run('end-to-end subset', [
  mocha,
  'dist/test/e2e/revokeKey.test.js',
  'dist/test/e2e/restore.test.js',
  '--grep',
  String.raw`^revokeKey end to end \((aws|gcp)\) (key-policy-deny|remove-binding): |^restoreAccess after a cancel \(aws\)`,
]);
