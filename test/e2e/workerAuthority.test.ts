// Attacks on what a worker will do (issue "Authority", findings 1 and 5), against real parts: the dev
// server, the real worker process and CLI, moto, the OpenAI twin. A worker that changes things without a
// policy for every gate refuses to start (through createEkmWorker and the real process, with and without
// EKM_WORKER_CONFIG) and `ekm check` then sees no worker; a vote signed for a week is refused by a running
// run's validator; `createKey`, a test harness's activity, is not on a product worker.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { keyWorkflowId } from '../../common/workflowIds';
import type { RunStatus } from '../../providers/runStatus';
import { voteStatement } from '../../common/signedStatement';
import { startStatement } from '../../common/startStatement';
import { projectRoot } from '../../sandbox/paths';
import { parseWorkerConfig, type WorkerConfig } from '../../worker/config';
import { createEkmWorker } from '../../worker/createWorker';
import { statusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { signatureBy, signersFor } from '../fixtures/approverKeys';
import { runCli } from '../fixtures/cli';
import { devEnvironment, workflowBundle } from '../fixtures/environments';
import { approvers, awsScenario, requester, sandboxWorker, waitForGate } from '../fixtures/revoke';
import { devServer, moto } from '../fixtures/services';
import { call, type TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';
import { createAndDescribeKey } from '../workflows/harness';

const [alice] = approvers as [string];
const policy = { approvers };
const fourGates = { revoke: policy, archive: policy, deletion: policy, restore: policy };

/** What the world holds of the seeded key: its state and policy, the role's trust, and how many keys exist. */
async function awsStateOf(w: TwinWorld) {
  const { keyArn, roleArn } = w.demo.aws;
  const key = await w.kms.send(new DescribeKeyCommand({ KeyId: keyArn }));
  const keyPolicy = await w.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }));
  const role = await w.iam.send(new GetRoleCommand({ RoleName: roleArn.split('/').pop()! }));
  const keys = await w.kms.send(new ListKeysCommand({ Limit: 1000 }));
  const validate = await call(
    w.twin.url,
    'POST',
    `/v1/organization/external_keys/${w.demo.openai.externalKeyId}/validate`,
    w.demo.openai.adminKey,
  );
  return {
    keyState: key.KeyMetadata?.KeyState,
    keyPolicy: keyPolicy.Policy,
    trust: role.Role?.AssumeRolePolicyDocument,
    keys: (keys.Keys ?? []).map((k) => k.KeyArn).sort(),
    validate: validate.status,
  };
}

/** Every key moto holds, seen by the test's own client. */
async function motoKeys(): Promise<string[]> {
  const kms = new KMSClient({ region: 'us-east-1', endpoint: (await moto()).endpoint });
  const { Keys } = await kms.send(new ListKeysCommand({ Limit: 1000 }));
  return (Keys ?? []).map((k) => k.KeyArn!).sort();
}

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a worker process (node + args) until it exits or `ms` pass; one still running then is stopped (by its
 * pid) and reported as such, with what it printed.
 */
function runWorkerProcess(args: string[], env: NodeJS.ProcessEnv, cwd: string, ms = 30_000): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`the worker was still running after ${ms / 1000} s (it started):\n${stdout}\n${stderr}`),
      );
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('attack: a worker that changes things without a policy for every gate', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-authority-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** A production worker's file with the four revocation gates and no rotate gate. */
  async function noRotateGate(taskQueue: string) {
    return {
      taskQueue,
      aws: { endpoint: (await moto()).endpoint },
      openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      evidence: { directory: tempDir() },
      approvals: { gates: fourGates, signers: signersFor(approvers) },
    };
  }

  it('createEkmWorker refuses a worker with no approvals section, and one without a rotate gate', async function () {
    const env = await devEnvironment();
    const create = (config: () => WorkerConfig) =>
      (async () =>
        createEkmWorker({
          connection: env.nativeConnection,
          namespace: 'default',
          config: config(),
          workflowBundle: await workflowBundle(),
        }))();
    const sandbox = {
      sandbox: true,
      taskQueue: `authority-${Date.now()}`,
      aws: { endpoint: (await moto()).endpoint },
      openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      evidence: { directory: tempDir() },
    };
    await assert.rejects(
      create(() => parseWorkerConfig(sandbox)),
      /approvals\.gates\.revoke: is missing/,
    );
    await assert.rejects(
      create(() => parseWorkerConfig({ ...sandbox, approvals: { gates: fourGates } })),
      /approvals\.gates\.rotate: is missing/,
    );
    // A configuration object that never went through the schema is checked again where the worker is made.
    const read = parseWorkerConfig({ ...sandbox, role: 'read', mutatingTaskQueue: 'authority-changes' });
    await assert.rejects(
      create(() => ({ ...read, role: 'all' })),
      /approvals\.gates\.revoke: is missing/,
    );
  });

  it('the real `ekm worker` and `npm run worker` processes refuse to start; `ekm check` sees no worker', async function () {
    const { address } = await devServer();
    const taskQueue = `authority-process-${Date.now()}`;
    const dir = tempDir();
    const file = path.join(dir, 'worker.json');
    fs.writeFileSync(file, JSON.stringify(await noRotateGate(taskQueue)));
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      EKM_WORKER_CONFIG: file,
      // Everything else a production worker needs is there: only the gate is missing.
      EKM_OWNERSHIP_SECRET: 'authority-test-ownership-secret-0123456789',
    };
    const viaCli = await runWorkerProcess([path.join(projectRoot, 'dist/client/cli.js'), 'worker'], env, dir);
    assert.equal(viaCli.code, 1, viaCli.stderr);
    assert.match(viaCli.stderr, /approvals\.gates\.rotate: is missing/);
    const viaMain = await runWorkerProcess([path.join(projectRoot, 'dist/worker/main.js')], env, dir);
    assert.equal(viaMain.code, 1, viaMain.stderr);
    assert.match(viaMain.stderr, /approvals\.gates\.rotate: is missing/);
    // The worker and `ekm check` agree: no worker polls the queue.
    const check = await runCli(['check', '--task-queue', taskQueue], { TEMPORAL_ADDRESS: address });
    assert.notEqual(check.code, 0);
    assert.match(check.stdout + check.stderr, new RegExp(`none polling ${taskQueue}`));
  });

  it('a worker started without EKM_WORKER_CONFIG refuses, naming approvals.gates and the variable', async function () {
    const { address } = await devServer();
    const dir = tempDir();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      EKM_OWNERSHIP_SECRET: 'authority-test-ownership-secret-0123456789',
    };
    delete env.EKM_WORKER_CONFIG;
    const run = await runWorkerProcess([path.join(projectRoot, 'dist/client/cli.js'), 'worker'], env, dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /EKM_WORKER_CONFIG is not set/);
    assert.match(run.stderr, /approvals\.gates\.revoke: is missing/);
    assert.deepEqual(fs.readdirSync(dir), [], 'it wrote nothing (no evidence directory)');
  });
});

describe('attack: a vote signed for a week', function () {
  this.timeout(120_000);
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it("is refused by the running run's validator, naming the 24 h bound; nothing changes in moto or the twin", async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        const gate = await waitForGate(handle, 'revoke');
        const { runId } = await handle.describe();
        const before = await awsStateOf(w);
        const vote = {
          gateId: gate.gateId,
          planHash: gate.planHash,
          decision: 'approve' as const,
          approver: alice,
        };
        const signature = signatureBy(
          alice,
          (e) => voteStatement({ workflowId: handle.workflowId, runId }, vote, e),
          7 * 86_400_000,
        );
        await assert.rejects(
          handle.executeUpdate(voteUpdate, { args: [{ ...vote, signature }] }),
          (err: Error) => {
            assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
            assert.match(String(err.cause?.message), /valid for more than 24 h/);
            return true;
          },
        );
        const open = (await handle.query(statusQuery)).openGate;
        assert.equal(open?.gateId, gate.gateId, 'the gate is still open');
        assert.equal(open?.votes.length, 0, 'the vote was not counted');
        assert.deepEqual(await awsStateOf(w), before, 'moto and the twin are unchanged');
        await handle.terminate('test over');
      },
      sandboxWorker(w),
    );
  });
});

describe('attack: a start signed for a week', function () {
  this.timeout(120_000);
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a production worker refuses the run before it changes anything, naming the 24 h bound', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    const options = sandboxWorker(w);
    options.config = {
      ...options.config,
      sandbox: false,
      revoke: { cacheWaitSeconds: 3600 },
      approvals: { ...options.config!.approvals, signers: signersFor([...approvers, requester]) },
    };
    const before = await awsStateOf(w);
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const workflowId = keyWorkflowId(request.keyArn);
        const signature = signatureBy(
          requester,
          (e) => startStatement(workflowId, request, e),
          7 * 86_400_000,
        );
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId,
          args: [{ ...request, signature }],
        });
        const status = (await handle.result()) as RunStatus;
        assert.equal(status.endState, 'refused');
        assert.match(status.endReason ?? '', /start refused: .* valid for more than 24 h/);
        assert.equal(status.gates.length, 0);
      },
      options,
    );
    assert.deepEqual(await awsStateOf(w), before, 'moto and the twin are unchanged');
  });
});

describe('attack: createKey scheduled on a product worker', function () {
  this.timeout(120_000);

  it('fails as unregistered and makes no key in moto', async function () {
    const before = await motoKeys();
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ execute }) => {
        await assert.rejects(
          execute(createAndDescribeKey, { workflowId: `authority-create-${Date.now()}`, args: [] }),
          (err: Error) => {
            assert.ok(err instanceof WorkflowFailedError, String(err));
            // The activity's failure, under the workflow's.
            const why = (err.cause as Error | undefined)?.cause as Error | undefined;
            assert.match(String(why?.message ?? err.cause), /createKey.*not registered/);
            return true;
          },
        );
      },
      { aws: true },
    );
    assert.deepEqual(await motoKeys(), before, 'no key was created');
  });
});
