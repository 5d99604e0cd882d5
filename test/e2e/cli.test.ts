// The `ekm` CLI as a user runs it, against the dev server, a worker and moto.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { freePort } from '../../sandbox/ports';
import { devEnvironment } from '../fixtures/environments';
import { runCli } from '../fixtures/cli';
import { devServer, moto } from '../fixtures/services';
import { withWorker } from '../fixtures/worker';

describe('ekm CLI', function () {
  let temporalEnv: NodeJS.ProcessEnv;
  before(async function () {
    temporalEnv = { TEMPORAL_ADDRESS: (await devServer()).address, TEMPORAL_NAMESPACE: 'default' };
  });

  it('key inspect: starts inspectKey, prints the key, and the run is findable by its search attributes', async function () {
    const kms = new KMSClient({ region: 'us-east-1', endpoint: (await moto()).endpoint });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'cli test key' }));
    const alias = `alias/cli-test-${Date.now()}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId! }));
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const run = await runCli(
          ['key', 'inspect', '--key', alias, '--task-queue', taskQueue, '--json'],
          temporalEnv,
        );
        assert.equal(run.code, 0, run.stderr);
        const key = JSON.parse(run.stdout) as { keyId: string; state: string };
        assert.equal(key.keyId, KeyMetadata!.Arn);
        assert.equal(key.state, 'Enabled');

        // Visibility is eventually consistent: poll the query an operator would type in the Web UI.
        const query = `EkmKeyId = "${KeyMetadata!.Arn}" AND EkmProvider = "aws" AND EkmStage = "done"`;
        let found = 0;
        for (let i = 0; i < 50 && found === 0; i++) {
          for await (const _ of client.workflow.list({ query })) found++;
          if (!found) await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal(found, 1);
      },
      { aws: true },
    );
  });

  it('key inspect: a malformed --key is a usage error (exit 2) naming the flag, and starts nothing', async function () {
    const run = await runCli(['key', 'inspect', '--key', 'arn:aws:s3:::bucket'], temporalEnv);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--key: is not an AWS KMS key reference/);
  });

  it('check: passes with a worker polling, fails naming the fix without one', async function () {
    const env = await devEnvironment();
    await withWorker(env, async ({ taskQueue }) => {
      const ok = await runCli(['check', '--task-queue', taskQueue, '--json'], temporalEnv);
      assert.equal(ok.code, 0, ok.stderr);
      const result = JSON.parse(ok.stdout) as { ok: boolean; searchAttributes: { missing: string[] } };
      assert.equal(result.ok, true);
      assert.deepEqual(result.searchAttributes.missing, []);
    });
    const none = await runCli(['check', '--task-queue', `nobody-polls-${Date.now()}`], temporalEnv);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /start a worker/);
  });

  it('--sandbox connects to the sandbox the description file names, whatever TEMPORAL_ADDRESS says', async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-cli-sandbox-'));
    try {
      const elsewhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, EKM_DATA_DIR: dataDir };
      const missing = await runCli(['--sandbox', 'check'], elsewhere);
      assert.equal(missing.code, 3);
      assert.match(missing.stderr, /--sandbox: no sandbox description at .*npm start/);
      fs.writeFileSync(
        path.join(dataDir, 'sandbox.json'),
        JSON.stringify({ temporal: { address: temporalEnv.TEMPORAL_ADDRESS, namespace: 'default' } }),
      );
      const env = await devEnvironment();
      await withWorker(env, async ({ taskQueue }) => {
        const run = await runCli(['--sandbox', 'check', '--task-queue', taskQueue], elsewhere);
        assert.equal(run.code, 0, run.stderr);
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits 3 with what to do when Temporal cannot be reached', async function () {
    const run = await runCli(['check'], { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /cannot reach Temporal at 127\.0\.0\.1:\d+.*npm start/);
  });

  it('--help lists the commands that exist', async function () {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    for (const command of ['check', 'key', 'worker'])
      assert.match(run.stdout, new RegExp(`^  ${command}\\b`, 'm'));
  });
});
