// `npm start`'s launcher, run as a user runs it (on ports of its own and a data folder of its own):
// it comes up and serves a real run, seeds two keys per cloud that share nothing but the organisation
// (checked in moto, the Cloud KMS fake and the twin), plans the revocations it suggests for the first and
// an added key of each cloud, counts OpenAI's seeded uses of the Cloud KMS key, stops every child on
// SIGTERM, keeps workflows across a restart, and refuses a taken port with a message that names it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { Client, Connection } from '@temporalio/client';
import type { VerifyKeyUsageResult } from '../../providers/usageRequests';
import type { SeededKey } from '../../sandbox/demoKeys';
import { sandboxAwsCredentials } from '../../sandbox/openai/demo';
import { kmsClientForFake } from '../../sandbox/openai/gcp/client';
import { freePort } from '../../sandbox/ports';
import { runCli, runShell } from '../fixtures/cli';
import {
  launch,
  sandboxEnv,
  stopLaunch as stop,
  stopLeftoverLaunches,
  suggestedRevokeFlags,
  untilLaunch as until,
} from '../fixtures/sandboxLaunch';
import { call } from '../fixtures/twin';

interface GcpDescribed {
  keyName: string;
  principal: string;
  externalKeyId: string;
  projects: { id: string; apiKey: string }[];
}

async function workflowIds(address: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: 'WorkflowType = "inspectKey"' }))
      ids.push(wf.workflowId);
    return ids;
  } finally {
    await connection.close();
  }
}

interface KeysDescribed {
  keys: SeededKey[];
  openai: { baseUrl: string; adminKey: string };
  aws: { endpoint: string; region: string };
  gcpKms: { address: string };
}

/**
 * Each seeded key is its own in the world, not only in sandbox.json: the AWS key's role may use that key
 * alone, the Cloud KMS key's own policy binds OpenAI's principal, the twin's registration names that key
 * (and that role) and holds exactly the key's projects, and each project's data is readable with its key.
 */
async function assertKeysSeparate({ keys, openai, aws, gcpKms }: KeysDescribed): Promise<void> {
  const distinct = (values: string[], what: string) =>
    assert.equal(new Set(values).size, values.length, `${what} are not distinct: ${values.join(', ')}`);
  distinct(
    keys.map((k) => k.externalKeyId),
    'registrations',
  );
  distinct(
    keys.flatMap((k) => k.projects.map((p) => p.id)),
    'projects',
  );
  const clientOptions = { endpoint: aws.endpoint, region: aws.region, credentials: sandboxAwsCredentials };
  const kms = new KMSClient(clientOptions);
  const iam = new IAMClient(clientOptions);
  const gcp = kmsClientForFake(gcpKms.address);
  try {
    for (const key of keys) {
      const registration = await call(
        openai.baseUrl,
        'GET',
        `/v1/organization/external_keys/${key.externalKeyId}`,
        openai.adminKey,
      );
      assert.equal(registration.status, 200, JSON.stringify(registration.body));
      const registered = registration.body as Record<string, unknown> & { api_project_ids: string[] };
      assert.deepEqual(
        [...registered.api_project_ids].sort(),
        key.projects.map((p) => p.id).sort(),
        `${key.name}: the twin's projects on its registration`,
      );
      if (key.provider === 'aws') {
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.keyArn }));
        assert.equal(KeyMetadata?.KeyState, 'Enabled', key.name);
        const roleName = key.roleArn.split('/').pop()!;
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
        assert.equal(Role?.Arn, key.roleArn, key.name);
        const { PolicyDocument } = await iam.send(
          new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'openai-kms' }),
        );
        const policy = JSON.parse(decodeURIComponent(PolicyDocument!)) as {
          Statement: { Resource: string }[];
        };
        assert.deepEqual(
          policy.Statement.map((st) => st.Resource),
          [key.keyArn],
          `${key.name}: its role may use its own key only`,
        );
        assert.equal(registered.role_arn, key.roleArn, key.name);
        assert.equal(registered.kms_arn, key.keyArn, key.name);
      } else {
        const [cryptoKey] = await gcp.getCryptoKey({ name: key.keyName });
        assert.equal(cryptoKey.name, key.keyName, key.name);
        const [policy] = await gcp.getIamPolicy({ resource: key.keyName } as Parameters<
          typeof gcp.getIamPolicy
        >[0]);
        assert.ok(
          (policy.bindings ?? []).some((b) => b.members?.includes(key.principal)),
          `${key.name}: the key's own policy binds OpenAI's principal: ${JSON.stringify(policy.bindings)}`,
        );
        const [, , , location, , ring, , name] = key.keyName.split('/');
        assert.deepEqual(
          [registered.kms_key_location, registered.kms_key_ring_name, registered.kms_key_name],
          [location, ring, name],
          `${key.name}: the twin's registration names this key`,
        );
      }
      for (const project of key.projects) {
        const probe = await call(
          openai.baseUrl,
          'GET',
          `/v1/responses/${project.probes.responseId}`,
          project.apiKey,
        );
        assert.equal(probe.status, 200, `${key.name} ${project.id}: ${JSON.stringify(probe.body)}`);
      }
    }
  } finally {
    kms.destroy();
    iam.destroy();
    await gcp.close();
  }
  for (const provider of ['aws', 'gcp'] as const) {
    const ofCloud = keys.filter((k) => k.provider === provider);
    assert.equal(ofCloud.length, 2, `two ${provider} keys`);
    distinct(
      ofCloud.map((k) => (k.provider === 'aws' ? k.keyArn : k.keyName)),
      `${provider} keys`,
    );
  }
  distinct(
    keys.flatMap((k) => (k.provider === 'aws' ? [k.roleArn] : [])),
    'AWS roles',
  );
}

describe('sandbox launcher (npm start)', function () {
  let dataDir: string;
  beforeEach(() => {
    // A folder that does not exist yet, as `.data` on a fresh clone.
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-sandbox-test-')), '.data');
  });
  afterEach(async () => {
    await stopLeftoverLaunches();
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('refuses a taken Temporal port with a message naming the port and how to change it', async function () {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const launched = launch({
        EKM_TEMPORAL_PORT: String(port),
        EKM_OPENAI_PORT: String(await freePort()),
        EKM_GCP_KMS_PORT: String(await freePort()),
        EKM_CODEC_PORT: String(await freePort()),
        EKM_DATA_DIR: dataDir,
      });
      assert.equal(await launched.exited, 1);
      assert.match(launched.output(), new RegExp(`Port ${port} \\(Temporal server\\) is already in use`));
      assert.match(launched.output(), /EKM_TEMPORAL_PORT=<port> npm start/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('comes up, serves a run, stops every child on SIGTERM, and finds the run again after a restart', async function () {
    const { env, address, uiPort, openAiPort } = await sandboxEnv(dataDir);

    const first = launch(env);
    await until('"sandbox is up"', () => first.output().includes('ekm sandbox is up'), first);
    assert.match(first.output(), new RegExp(`Temporal Web UI\\s+http://127\\.0\\.0\\.1:${uiPort}`));
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    assert.equal(ui.status, 200);
    // The sandbox encrypts payloads: without the sandbox's key the CLI cannot read the result, and with
    // the sandbox's description (EKM_DATA_DIR) it finds the key and reads it.
    const blind = await runCli(['key', 'inspect', '--key', 'alias/ekm-demo', '--json'], {
      TEMPORAL_ADDRESS: address,
      EKM_DATA_DIR: path.join(dataDir, 'elsewhere'),
    });
    assert.equal(blind.code, 1, blind.stderr);
    assert.match(blind.stderr, /payloads are encrypted \(codec key sandbox-1\)/);
    const run = await runCli(['key', 'inspect', '--key', 'alias/ekm-demo', '--json'], {
      TEMPORAL_ADDRESS: address,
      EKM_DATA_DIR: dataDir,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { state: string }).state, 'Enabled');
    // What was seeded is described, and the demo project's data is readable through the twin.
    const described = await runCli(['sandbox', 'describe', '--json'], { EKM_DATA_DIR: dataDir });
    assert.equal(described.code, 0, described.stderr);
    const demo = JSON.parse(described.stdout) as {
      openai: { baseUrl: string; projects: { apiKey: string; probes: { responseId: string } }[] };
    };
    assert.equal(demo.openai.baseUrl, `http://127.0.0.1:${openAiPort}`);
    assert.equal(demo.openai.projects.length, 2);
    const [project] = demo.openai.projects;
    const probe = await call(
      demo.openai.baseUrl,
      'GET',
      `/v1/responses/${project!.probes.responseId}`,
      project!.apiKey,
    );
    assert.equal(probe.status, 200);
    // The revocation the launcher suggests, as a plan: the worker reaches the twin with its admin key and
    // the project keys from its environment, reads every probe, and plans under the sandbox's policy.
    const plan = await runCli(['revoke', 'plan', ...suggestedRevokeFlags(dataDir), '--json'], {
      TEMPORAL_ADDRESS: address,
      EKM_DATA_DIR: dataDir,
    });
    assert.equal(plan.code, 0, plan.stderr);
    const planned = JSON.parse(plan.stdout) as { plan: { changes: string[] } };
    assert.match(planned.plan.changes[0]!, /PutKeyPolicy/);

    // Two keys per cloud, each its own in moto, the fake and the twin, each with its revoke command; an
    // added key of each cloud plans from its command as the first does.
    const several = JSON.parse(described.stdout) as KeysDescribed;
    assert.deepEqual(
      several.keys.map((k) => k.name),
      ['aws-1', 'gcp-1', 'aws-2', 'gcp-2'],
    );
    await assertKeysSeparate(several);
    for (const key of several.keys)
      assert.equal(key.revokeExample, path.join(dataDir, 'revoke-examples', `${key.name}.txt`));
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'revoke-examples')).sort(), [
      'aws-1.txt',
      'aws-2.txt',
      'gcp-1.txt',
      'gcp-2.txt',
    ]);
    // The first of each cloud is also where it always was.
    assert.equal(
      fs.readFileSync(path.join(dataDir, 'revoke-examples', 'aws-1.txt'), 'utf8'),
      fs.readFileSync(path.join(dataDir, 'revoke-example.txt'), 'utf8'),
    );
    assert.equal(
      fs.readFileSync(path.join(dataDir, 'revoke-examples', 'gcp-1.txt'), 'utf8'),
      fs.readFileSync(path.join(dataDir, 'revoke-example-gcp.txt'), 'utf8'),
    );
    const awsKey2 = several.keys.find((k) => k.name === 'aws-2');
    assert.ok(awsKey2?.provider === 'aws');
    const aws2Plan = await runCli(
      ['revoke', 'plan', ...suggestedRevokeFlags(dataDir, 'revoke-examples/aws-2.txt'), '--json'],
      { TEMPORAL_ADDRESS: address, EKM_DATA_DIR: dataDir },
    );
    assert.equal(aws2Plan.code, 0, aws2Plan.stderr);
    const aws2Planned = JSON.parse(aws2Plan.stdout) as {
      plan: { changes: string[]; projectsToArchive: string[] };
    };
    assert.ok(aws2Planned.plan.changes[0]!.includes(`PutKeyPolicy on ${awsKey2.keyArn}`), aws2Plan.stdout);
    assert.ok(aws2Planned.plan.changes[0]!.includes(awsKey2.roleArn), aws2Plan.stdout);
    assert.deepEqual(
      [...aws2Planned.plan.projectsToArchive].sort(),
      awsKey2.projects.map((p) => p.id).sort(),
    );
    const gcpKey2 = several.keys.find((k) => k.name === 'gcp-2');
    assert.ok(gcpKey2?.provider === 'gcp');
    const gcp2Plan = await runCli(
      ['revoke', 'plan', ...suggestedRevokeFlags(dataDir, 'revoke-examples/gcp-2.txt'), '--json'],
      { TEMPORAL_ADDRESS: address, EKM_DATA_DIR: dataDir },
    );
    assert.equal(gcp2Plan.code, 0, gcp2Plan.stderr);
    const gcp2Planned = JSON.parse(gcp2Plan.stdout) as {
      request: { keyName: string };
      plan: { changes: string[]; projectsToArchive: string[] };
    };
    assert.equal(gcp2Planned.request.keyName, gcpKey2.keyName);
    assert.ok(gcp2Planned.plan.changes[0]!.includes(`SetIamPolicy on ${gcpKey2.keyName}`), gcp2Plan.stdout);
    assert.deepEqual(
      gcp2Planned.plan.projectsToArchive,
      gcpKey2.projects.map((p) => p.id),
    );
    assert.match(first.output(), /seeded keys\s+4: aws-1, gcp-1, aws-2, gcp-2/);
    assert.ok(first.output().includes('revoke-examples/<key>.txt'), first.output());

    // The Cloud KMS demo: described (its project key kept like the AWS ones), suggested, and planned with
    // the same flags — the worker reads the key's IAM policy in the fake, reaches the twin with the GCP
    // project's key from its environment, and reads every probe.
    const gcp = (JSON.parse(described.stdout) as { gcp: GcpDescribed }).gcp;
    assert.match(
      gcp.keyName,
      /^projects\/ekm-sandbox\/locations\/global\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/,
    );
    assert.match(gcp.principal, /^principal:\/\/iam\.googleapis\.com\//);
    assert.equal(gcp.projects.length, 1);
    assert.ok(gcp.projects[0]!.apiKey, 'the GCP project key is described like the AWS ones');
    assert.ok(
      first.output().includes(`usage --key-name ${gcp.keyName} --principal ${gcp.principal}`),
      first.output(),
    );
    const gcpFlags = suggestedRevokeFlags(dataDir, 'revoke-example-gcp.txt');
    for (const [flag, value] of [
      ['--provider', 'gcp'],
      ['--key-name', gcp.keyName],
      ['--principal', gcp.principal],
      ['--method', 'remove-binding'],
      ['--external-key', gcp.externalKeyId],
      ['--project', gcp.projects[0]!.id],
    ] as const)
      assert.equal(gcpFlags[gcpFlags.indexOf(flag) + 1], value, `${flag} in revoke-example-gcp.txt`);
    assert.equal(gcpFlags.filter((f) => f === '--probe').length, 3);
    const gcpPlan = await runCli(['revoke', 'plan', ...gcpFlags, '--json'], {
      TEMPORAL_ADDRESS: address,
      EKM_DATA_DIR: dataDir,
    });
    assert.equal(gcpPlan.code, 0, gcpPlan.stderr);
    const gcpPlanned = JSON.parse(gcpPlan.stdout) as {
      request: { keyName: string; method: string };
      plan: { changes: string[] };
    };
    assert.equal(gcpPlanned.request.keyName, gcp.keyName);
    assert.equal(gcpPlanned.request.method, 'remove-binding');
    const changes = gcpPlanned.plan.changes.join('\n');
    assert.ok(changes.includes(gcp.keyName), changes);
    assert.ok(changes.includes(gcp.principal), changes);
    // OpenAI's Encrypts of the seeded data keys are in the fake's Data Access log, under its principal.
    const usage = await runCli(['usage', '--key-name', gcp.keyName, '--principal', gcp.principal, '--json'], {
      TEMPORAL_ADDRESS: address,
      EKM_DATA_DIR: dataDir,
    });
    assert.equal(usage.code, 0, usage.stderr);
    const used = (JSON.parse(usage.stdout) as VerifyKeyUsageResult).usage;
    assert.equal(used.provider, 'gcp');
    assert.equal(used.provider === 'gcp' && used.principal, gcp.principal);
    assert.ok((used.operations.Encrypt?.successful ?? 0) >= 1, JSON.stringify(used));

    // What the launcher prints and writes names the direct command (`./ekm`, not npx, which runs
    // concurrent invocations one at a time), and the written command runs as it stands in a shell.
    assert.match(first.output(), /^ {2}TEMPORAL_ADDRESS=\S+ \.\/ekm check /m);
    assert.doesNotMatch(first.output(), /npx/);
    const example = fs.readFileSync(path.join(dataDir, 'revoke-example-gcp.txt'), 'utf8');
    assert.match(example, /^TEMPORAL_ADDRESS=\S+ \.\/ekm revoke start \\\n/);
    const asPlan = await runShell(example.replace(' revoke start ', ' revoke plan --json '), {
      EKM_DATA_DIR: dataDir,
    });
    assert.equal(asPlan.code, 0, asPlan.stderr);
    assert.equal((JSON.parse(asPlan.stdout) as typeof gcpPlanned).request.keyName, gcp.keyName);

    let before: string[] = [];
    for (let i = 0; i < 50 && before.length < 4; i++) {
      before = await workflowIds(address);
      if (before.length < 4) await new Promise((r) => setTimeout(r, 200));
    }
    // The two inspect runs, and the ones the two AWS `revoke plan`s made to resolve their aliases.
    assert.equal(before.length, 4);
    await stop(first);

    const second = launch(env);
    await until('"sandbox is up" again', () => second.output().includes('ekm sandbox is up'), second);
    assert.deepEqual(await workflowIds(address), before, 'the earlier run is still there (SQLite)');
    await stop(second);
  });
});
