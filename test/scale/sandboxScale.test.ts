// `npm start -- --keys N`, run as a user runs it: N more keys beside the demo ones — AWS keys in moto over
// two accounts and two regions behind shared roles, the rest in the Cloud KMS fake — each registered with
// the twin, written to sandbox-keys.json with the flags of its revocation; the worker serves both accounts
// (a plan for a key in the second account reads it there); the quota layer counts, refusing nothing.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { withMotoAccount } from '../../sandbox/openai/aws/motoAccount';
import { sandboxAwsCredentials } from '../../sandbox/openai/demo';
import { kmsClientForFake } from '../../sandbox/openai/gcp/client';
import type { ScaleKey } from '../../sandbox/scaleKeys';
import { runCli } from '../fixtures/cli';
import { launch, sandboxEnv, stopLaunch, stopLeftoverLaunches, untilLaunch } from '../fixtures/sandboxLaunch';
import { call } from '../fixtures/twin';

type Described = ScaleKey & { revokeFlags: string[] };

describe('npm start -- --keys N', function () {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-sandbox-scale-'));
  });
  afterEach(async () => {
    await stopLeftoverLaunches();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeds N keys over two accounts, two regions and both clouds, registered with the twin', async function () {
    this.timeout(400_000);
    const { env, address } = await sandboxEnv(dataDir);
    const launched = launch(env, ['--keys', '12']);
    await untilLaunch(
      '"sandbox is up"',
      () => launched.output().includes('ekm sandbox is up'),
      launched,
      300_000,
    );
    assert.match(launched.output(), /more keys\s+12 \(--keys\)/);
    assert.match(launched.output(), /revoke one: .*revoke start <its "revokeFlags" from the file>/);

    const file = JSON.parse(fs.readFileSync(path.join(dataDir, 'sandbox-keys.json'), 'utf8')) as {
      keys: Described[];
    };
    assert.equal(file.keys.length, 12);
    const aws = file.keys.filter((k): k is Extract<Described, { provider: 'aws' }> => k.provider === 'aws');
    const gcp = file.keys.filter((k): k is Extract<Described, { provider: 'gcp' }> => k.provider === 'gcp');
    assert.equal(aws.length, 9);
    assert.equal(gcp.length, 3);
    assert.deepEqual([...new Set(aws.map((k) => k.account))].sort(), ['111111111111', '222222222222']);
    assert.deepEqual([...new Set(aws.map((k) => k.region))].sort(), ['eu-west-1', 'us-east-1']);
    assert.ok(new Set(aws.map((k) => k.roleArn)).size < aws.length, 'roles are shared by several keys');

    // In moto, each in its own account and region (reached through the quota layer at EKM_MOTO_PORT).
    const endpoint = `http://127.0.0.1:${env.EKM_MOTO_PORT}`;
    for (const key of aws) {
      const kms = withMotoAccount(
        new KMSClient({ endpoint, region: key.region, credentials: sandboxAwsCredentials }),
        key.account,
      );
      try {
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.keyArn }));
        assert.equal(KeyMetadata?.Arn, key.keyArn);
        assert.equal(KeyMetadata?.KeyState, 'Enabled');
      } finally {
        kms.destroy();
      }
    }
    // In the Cloud KMS fake.
    const fake = kmsClientForFake(`127.0.0.1:${env.EKM_GCP_KMS_PORT}`);
    try {
      for (const key of gcp)
        assert.equal((await fake.getCryptoKey({ name: key.keyName }))[0].name, key.keyName);
    } finally {
      await fake.close();
    }
    // Registered with the twin's organisation, each with its project.
    const sandbox = JSON.parse(fs.readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8')) as {
      openai: { baseUrl: string; adminKey: string };
    };
    const listed = await call(
      sandbox.openai.baseUrl,
      'GET',
      '/v1/organization/external_keys?limit=100',
      sandbox.openai.adminKey,
    );
    const registered = (listed.body as { data: { id: string; kms_arn?: string }[] }).data;
    for (const key of file.keys) {
      const found = registered.find((r) => r.id === key.externalKeyId);
      assert.ok(found, `${key.name} is registered`);
      if (key.provider === 'aws') assert.equal(found.kms_arn, key.keyArn);
      assert.equal(key.projects.length, 1);
    }

    // The worker serves the second account: a plan for a key there reads it (and changes nothing).
    const second = aws.find((k) => k.account === '222222222222' && k.region === 'eu-west-1')!;
    const flags = second.revokeFlags.flatMap((f) => {
      const space = f.indexOf(' ');
      return [f.slice(0, space), f.slice(space + 1)];
    });
    // The role is shared, but key-policy-deny leaves its other keys alone: the key's own flags are the plan.
    const plan = await runCli(
      [
        'revoke',
        'plan',
        ...flags,
        '--requester',
        'rita@example.com',
        '--reason',
        'rehearsal',
        '--ticket',
        'CHG-1',
        '--json',
      ],
      { TEMPORAL_ADDRESS: address, EKM_DATA_DIR: dataDir },
    );
    assert.equal(plan.code, 0, `${plan.stderr}\n${plan.stdout}`);
    assert.match(plan.stdout, new RegExp(second.keyArn));

    // The quota layer counted the plan's reads, throttling none (off unless --throttle).
    const counts = (await (await fetch(`${endpoint}/_sandbox/calls`)).json()) as {
      settings: { enabled: boolean };
      actions: Record<string, { calls: number; throttled: number }>;
    };
    assert.equal(counts.settings.enabled, false);
    assert.ok((counts.actions['kms:DescribeKey']?.calls ?? 0) > 0, JSON.stringify(counts.actions));
    assert.ok(Object.values(counts.actions).every((c) => c.throttled === 0));
    await stopLaunch(launched);
  });
});
