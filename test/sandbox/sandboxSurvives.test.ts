// The sandbox survives what it rehearses, through the `ekm` binary and the launcher as a user runs them:
// the worker SIGKILLed (`ekm sandbox kill-worker`) during a revocation's cache wait, then the Temporal dev
// server (`ekm sandbox kill-temporal`) during another's — each restarted by `npm start`, each run completed
// with every change made once (counted in moto and the twin); and `npm start` restarted with a run waiting
// at its gate — the old run ended with the launcher's reason, the next rehearsal through the same role
// started without clean-up, and the previous sandbox's revoke commands gone before anything came up.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListRolesCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { Client, Connection } from '@temporalio/client';
import { keyPolicyDenySid } from '../../providers/aws/activities/policyEdits';
import { roleLockWorkflowId } from '../../common/workflowIds';
import { sandboxProcessesFileName, type SandboxProcesses } from '../../common/sandboxProcesses';
import type { SeededKey } from '../../sandbox/demoKeys';
import { leftoverRunReason } from '../../sandbox/leftoverRuns';
import { sandboxAwsCredentials } from '../../sandbox/openai/demo';
import { cliRunOf, ok, runCli, until, type CliRun, type CliStatus } from '../fixtures/cli';
import {
  launch,
  sandboxEnv,
  stopLaunch,
  stopLeftoverLaunches,
  suggestedRevokeFlags,
  untilLaunch,
  type Launch,
} from '../fixtures/sandboxLaunch';
import { call } from '../fixtures/twin';

type AwsKey = Extract<SeededKey, { provider: 'aws' }>;

interface Described {
  keys: SeededKey[];
  openai: { baseUrl: string; adminKey: string };
  aws: { endpoint: string; region: string };
}

/** The cache the twin keeps (and the worker waits out, plus 5 s): short, so a run takes about a minute. */
const cacheTtlSeconds = '10';

/** What the world holds that a revocation changes or creates: counted before and after each run. */
async function worldCounts(d: Described, key: AwsKey) {
  const options = { endpoint: d.aws.endpoint, region: d.aws.region, credentials: sandboxAwsCredentials };
  const kms = new KMSClient(options);
  const iam = new IAMClient(options);
  try {
    const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: key.keyArn, PolicyName: 'default' }));
    const statements = (JSON.parse(Policy!) as { Statement: { Sid?: string }[] }).Statement;
    const audit = async (type: string) => {
      const answer = await call(
        d.openai.baseUrl,
        'GET',
        `/v1/organization/audit_logs?event_types[]=${type}&limit=100`,
        d.openai.adminKey,
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const page = answer.body as { data: { project?: { id: string } }[]; has_more: boolean };
      assert.equal(page.has_more, false, 'fewer than 100 audit events of a kind');
      return page.data;
    };
    const archived = await audit('project.archived');
    return {
      denyStatements: statements.filter((s) => s.Sid === keyPolicyDenySid).length,
      kmsKeys: (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length ?? 0,
      roles: (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles?.length ?? 0,
      externalKeysRegistered: (await audit('external_key.registered')).length,
      projectsCreated: (await audit('project.created')).length,
      /** Archive events per project of this key. */
      archives: key.projects.map((p) => archived.filter((e) => e.project?.id === p.id).length),
    };
  } finally {
    kms.destroy();
    iam.destroy();
  }
}

describe('the sandbox survives what it rehearses (npm start)', function () {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-sandbox-survives-'));
  });
  afterEach(async () => {
    await stopLeftoverLaunches();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const readDescribed = () =>
    JSON.parse(fs.readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8')) as Described;
  const awsKey = (d: Described, name: string) => {
    const key = d.keys.find((k) => k.name === name);
    assert.ok(key?.provider === 'aws', name);
    return key;
  };
  const signingKey = (person: string) => path.join(dataDir, 'approver-keys', `${person}.pem`);

  /**
   * Starts the revocation of `example` (a command the launcher wrote), approves its revoke gate as alice,
   * calls `crash` during its cache wait, approves the archive gate as bob, and follows it to its end.
   */
  async function rehearse(
    cli: (args: string[]) => Promise<CliRun>,
    example: string,
    crash: () => Promise<void>,
  ): Promise<CliStatus> {
    const started = JSON.parse(
      ok(await cli(['revoke', 'start', ...suggestedRevokeFlags(dataDir, example), '--json']), 'start').stdout,
    ) as { workflowId: string };
    const run = cliRunOf(cli, started.workflowId);
    const approve = async (gate: string, person: string) => {
      const open = await run.gateOpen(gate);
      ok(
        await cli([
          'approve',
          started.workflowId,
          '--as',
          person,
          '--plan',
          open.planHash.slice(0, 12),
          '--signing-key',
          signingKey(person),
        ]),
        `approve ${gate}`,
      );
    };
    await approve('revoke', 'alice@example.com');
    await until(`the cache wait of ${started.workflowId}`, async () => {
      const s = await run.status();
      if (s.endState) throw new Error(`${started.workflowId} ended ${s.endState}: ${s.endReason}`);
      return s.cacheWait && !s.cacheWait.endedAt ? s.cacheWait : undefined;
    });
    await crash();
    // Until a worker polls the restarted server, a status query may find nobody to answer it.
    await until('the run to answer again', async () =>
      (await cli(['status', started.workflowId, '--json'])).code === 0 ? true : undefined,
    );
    await approve('archive', 'bob@example.com');
    return run.watchToEnd();
  }

  /** `ekm sandbox kill-<target> --wait`: the pid it killed is gone, and the sandbox started a new one. */
  async function killAndRestart(
    cli: (args: string[]) => Promise<CliRun>,
    target: 'worker' | 'temporal',
    sandbox: Launch,
  ): Promise<void> {
    const killed = JSON.parse(
      ok(await cli(['sandbox', `kill-${target}`, '--wait', '--json']), 'kill').stdout,
    ) as {
      pid: number;
      signal: string;
      restarted: { pid: number; restarts: number };
    };
    assert.equal(killed.signal, 'SIGKILL');
    assert.notEqual(killed.restarted.pid, killed.pid);
    assert.equal(killed.restarted.restarts, 1);
    const name = target === 'worker' ? 'the ekm worker' : 'the Temporal dev server';
    assert.ok(
      sandbox.output().includes(`${name} exited (signal SIGKILL); restarting it in 1 s`),
      sandbox.output(),
    );
  }

  it('a revocation completes through a killed worker, another through a killed dev server; each change once', async function () {
    this.timeout(420_000);
    const { env, address } = await sandboxEnv(dataDir, { EKM_OPENAI_CACHE_TTL_SECONDS: cacheTtlSeconds });
    const sandbox = launch(env);
    await untilLaunch('"sandbox is up"', () => sandbox.output().includes('ekm sandbox is up'), sandbox);
    const cli = (args: string[]) => runCli(args, { TEMPORAL_ADDRESS: address, EKM_DATA_DIR: dataDir });
    const described = readDescribed();

    for (const [name, example, target] of [
      ['aws-1', 'revoke-example.txt', 'worker'],
      ['aws-2', 'revoke-examples/aws-2.txt', 'temporal'],
    ] as const) {
      const key = awsKey(described, name);
      const before = await worldCounts(described, key);
      const end = await rehearse(cli, example, () => killAndRestart(cli, target, sandbox));
      assert.equal(end.endState, 'completed', `${name}: ${end.endReason}`);
      const after = await worldCounts(described, key);
      assert.deepEqual(
        {
          denyStatements: after.denyStatements,
          kmsKeys: after.kmsKeys - before.kmsKeys,
          roles: after.roles - before.roles,
          externalKeysRegistered: after.externalKeysRegistered - before.externalKeysRegistered,
          projectsCreated: after.projectsCreated - before.projectsCreated,
          archives: after.archives,
        },
        {
          // The revoke: one Deny in the key policy. The replacement: one key, one role, one registration,
          // one project per archived one. The archive: each of the key's projects once.
          denyStatements: 1,
          kmsKeys: 1,
          roles: 1,
          externalKeysRegistered: 1,
          projectsCreated: key.projects.length,
          archives: key.projects.map(() => 1),
        },
        `${name}: what the run changed, with ${target} killed during its cache wait`,
      );
    }
    // The dev server's state survived its death: the first run is still there, completed.
    const first = JSON.parse(
      ok(await cli(['status', `ekm-key:${awsKey(described, 'aws-1').keyArn}`, '--json']), 'status').stdout,
    ) as CliStatus;
    assert.equal(first.endState, 'completed');
    await stopLaunch(sandbox);
  });

  it('a restart ends the runs the previous sandbox left open; the next rehearsal through the same role starts', async function () {
    this.timeout(300_000);
    const { env, address } = await sandboxEnv(dataDir, { EKM_OPENAI_CACHE_TTL_SECONDS: cacheTtlSeconds });
    const cli = (args: string[]) => runCli(args, { TEMPORAL_ADDRESS: address, EKM_DATA_DIR: dataDir });
    const first = launch(env);
    await untilLaunch('"sandbox is up"', () => first.output().includes('ekm sandbox is up'), first);
    const oldKey = awsKey(readDescribed(), 'aws-1');
    const oldExample = fs.readFileSync(path.join(dataDir, 'revoke-example.txt'), 'utf8');
    const old = JSON.parse(
      ok(await cli(['revoke', 'start', ...suggestedRevokeFlags(dataDir), '--json']), 'start').stdout,
    ) as { workflowId: string; runId: string };
    // Waiting at its gate, the run holds its role's lock.
    await cliRunOf(cli, old.workflowId).gateOpen('revoke');
    await stopLaunch(first);

    const second = launch(env);
    // The previous sandbox's commands and description go before anything starts: a script that does not
    // wait for "sandbox is up" finds nothing, never the old ids.
    const processesFile = path.join(dataDir, sandboxProcessesFileName);
    await untilLaunch(
      'the new launcher to claim the data folder',
      () =>
        fs.existsSync(processesFile) &&
        (JSON.parse(fs.readFileSync(processesFile, 'utf8')) as SandboxProcesses).launcher ===
          second.child.pid,
      second,
    );
    for (const stale of ['revoke-example.txt', 'revoke-example-gcp.txt', 'revoke-examples', 'sandbox.json'])
      assert.equal(fs.existsSync(path.join(dataDir, stale)), false, `${stale} is still there`);
    await untilLaunch('"sandbox is up" again', () => second.output().includes('ekm sandbox is up'), second);
    assert.ok(second.output().includes(`  ${old.workflowId} (revokeKey, run ${old.runId})`), second.output());
    assert.notEqual(fs.readFileSync(path.join(dataDir, 'revoke-example.txt'), 'utf8'), oldExample);

    // The old run says how it ended, through the binary (the new worker replays it to answer).
    const ended = JSON.parse(
      ok(await cli(['status', old.workflowId, '--run-id', old.runId, '--json']), 'status').stdout,
    ) as CliStatus & { execution: { termination?: { reason: string; identity: string } } };
    assert.equal(ended.execution.status, 'TERMINATED');
    assert.deepEqual(ended.execution.termination, {
      reason: leftoverRunReason,
      identity: 'ekm sandbox (npm start)',
    });
    const shown = ok(await cli(['status', old.workflowId, '--run-id', old.runId]), 'status').stdout;
    assert.ok(
      shown.includes(`ended      terminated by ekm sandbox (npm start): ${leftoverRunReason}`),
      shown,
    );

    // The same key (by its alias) through the same role: started and at its gate. Its method (the sandbox's
    // key-policy-deny) changes the key alone, so it takes no turn on the role (docs/locks.md), and nothing
    // the previous sandbox left holds the role: no lock of an older run is still open on it.
    const newKey = awsKey(readDescribed(), 'aws-1');
    assert.equal(newKey.roleArn, oldKey.roleArn, 'the same role, re-seeded');
    const next = JSON.parse(
      ok(await cli(['revoke', 'start', ...suggestedRevokeFlags(dataDir), '--json']), 'start again').stdout,
    ) as { workflowId: string; runId: string };
    await cliRunOf(cli, next.workflowId).gateOpen('revoke');
    const connection = await Connection.connect({ address });
    try {
      const lock = await new Client({ connection }).workflow
        .getHandle(roleLockWorkflowId(newKey.roleArn))
        .describe()
        .catch((err: Error) => {
          if (err.name === 'WorkflowNotFoundError') return undefined;
          throw err;
        });
      assert.notEqual(lock?.status.name, 'RUNNING', 'no lock left open on the role');
    } finally {
      await connection.close();
    }
    await stopLaunch(second);
  });
});
