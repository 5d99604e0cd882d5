// Worker Versioning on the dev server (docs/versioning.md): two builds of one Worker Deployment on one task
// queue. A revocation started on build A, parked at its approval gate when build B becomes current, finishes
// on A — every workflow task of its history completed by A — while a new revocation starts and finishes on
// B; each changed its key once (moto) and registered one replacement (the twin). Both builds there are the
// same code under two build ids (two workers in this process, as a rollout has two images); the second
// test ships a real change to a test-only workflow as build B, without `patched()`: A's run ends on A's
// code, and its history — which B's code cannot replay — never met B. Promotion goes through `ekm worker
// promote`, the builds' state through `ekm worker versions`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetKeyPolicyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { keyPolicyDenySid } from '../../providers/aws/activities/policyEdits';
import { keyWorkflowId } from '../../common/workflowIds';
import { keyOf } from '../../providers/runSubject';
import { revokeKey } from '../../workflows/revokeKey';
import { sweepEndedRuns } from '../../workflows/sweepEndedRuns';
import { ok, runCli } from '../fixtures/cli';
import { devEnvironment, workflowBundle } from '../fixtures/environments';
import {
  approvers,
  awsRevokeRequest,
  startSharedRevocationWorld,
  vote,
  waitForGate,
  type SharedRevocationWorld,
} from '../fixtures/revoke';
import { assertOneReplacementPerRun, type EndedRun } from '../fixtures/replacements';
import { devServer, moto } from '../fixtures/services';
import { projectRoot } from '../../sandbox/paths';
import { withWorker, type WithWorkerOptions } from '../fixtures/worker';
import { proceed } from '../workflows/upgrade/proceed';

const [alice, bob] = approvers as [string, string];
const pinned = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;

/** A deployment of this test's own: the dev server keeps every deployment the suite made. */
const freshDeployment = () => `ekm-upgrade-${randomBytes(4).toString('hex')}`;

/** `ekm` against the test server, acting on `deploymentName`. */
async function ekmFor(deploymentName: string) {
  const env = {
    TEMPORAL_ADDRESS: (await devServer()).address,
    TEMPORAL_NAMESPACE: 'default',
    EKM_DEPLOYMENT_NAME: deploymentName,
  };
  return (args: string[]) => runCli(args, env);
}

/** The build of every completed workflow task of the run, in order, with the behavior it declared. */
async function workflowTaskBuilds(handle: WorkflowHandle): Promise<{ buildId: string; pinned: boolean }[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes)
    .filter((a) => !!a)
    .map((a) => ({ buildId: a.deploymentVersion?.buildId ?? '', pinned: a.versioningBehavior === pinned }));
}

async function assertRanOnlyOn(handle: WorkflowHandle, buildId: string, what: string): Promise<void> {
  const tasks = await workflowTaskBuilds(handle);
  assert.ok(tasks.length >= 2, `${what}: ${tasks.length} workflow tasks`);
  assert.deepEqual(
    tasks.filter((t) => t.buildId !== buildId || !t.pinned),
    [],
    `${what}: every workflow task completed by build ${buildId}, pinned`,
  );
  const { raw } = await handle.describe();
  assert.equal(raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId, buildId, what);
}

/** The Deny statements of ours in the key's policy, read from moto: one after a key-policy-deny. */
async function denyStatements(kms: KMSClient, keyId: string): Promise<number> {
  const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
  const statements = (JSON.parse(Policy!) as { Statement: { Sid?: string }[] | { Sid?: string } }).Statement;
  return (Array.isArray(statements) ? statements : [statements]).filter((s) => s.Sid === keyPolicyDenySid)
    .length;
}

describe('worker versioning: an upgrade while runs are open', function () {
  this.timeout(480_000);
  let world: SharedRevocationWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a revocation started on build A finishes on A, each change once, while build B takes the new run', async function () {
    const w = (world = await startSharedRevocationWorld({ aws: 2, gcp: 0, cacheTtlSeconds: 2 }));
    const [demoA, demoB] = w.aws as [(typeof w.aws)[0], (typeof w.aws)[0]];
    const requestA = awsRevokeRequest(demoA, 'key-policy-deny');
    const requestB = awsRevokeRequest(demoB, 'key-policy-deny');
    const deploymentName = freshDeployment();
    const ekm = await ekmFor(deploymentName);
    const taskQueue = `test-upgrade-${randomUUID()}`;
    const [buildA, buildB] = ['0.1.0-aaaaaaaaaaaa', '0.1.0-bbbbbbbbbbbb'];
    const base = w.worker();
    const build = (buildId: string): WithWorkerOptions => ({
      ...base,
      taskQueue,
      buildId,
      config: { ...base.config, versioning: { deploymentName } },
    });
    const env = await devEnvironment();

    const runs: EndedRun[] = [];
    await withWorker(
      env,
      async ({ client }) => {
        ok(await ekm(['worker', 'promote', buildA]), 'promote build A');
        const runA = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(keyOf(requestA)),
          args: [requestA],
        });
        // Parked at its approval gate, nothing changed yet, when the upgrade comes.
        await waitForGate(runA, 'revoke');
        assert.equal(await denyStatements(w.kms, demoA.aws.keyId), 0);

        await withWorker(
          env,
          async () => {
            const promoted = ok(await ekm(['worker', 'promote', buildB, '--json']), 'promote build B');
            assert.deepEqual(JSON.parse(promoted.stdout), {
              deploymentName,
              currentBuildId: buildB,
              previousBuildId: buildA,
            });
            const runB = await client.workflow.start(revokeKey, {
              taskQueue,
              workflowId: keyWorkflowId(keyOf(requestB)),
              args: [requestB],
            });
            // Both runs go on side by side: A's on build A, the new one on build B.
            await vote(runB, 'revoke', alice);
            await vote(runA, 'revoke', alice);
            const versions = JSON.parse(
              ok(await ekm(['worker', 'versions', '--json']), 'ekm worker versions').stdout,
            ) as { currentBuildId: string; builds: { buildId: string; status: string }[] };
            assert.equal(versions.currentBuildId, buildB);
            assert.deepEqual(versions.builds.map((b) => b.buildId).sort(), [buildA, buildB]);
            // A still serves a pinned run: it is draining, not drained.
            assert.equal(versions.builds.find((b) => b.buildId === buildA)?.status, 'draining');
            await vote(runA, 'archive', bob);
            await vote(runB, 'archive', bob);
            for (const [handle, request] of [
              [runA, requestA],
              [runB, requestB],
            ] as const) {
              const status = await handle.result();
              runs.push({ request, workflowId: handle.workflowId, runId: status.runId!, status });
            }
            await assertRanOnlyOn(runA, buildA, 'the run started before the upgrade');
            await assertRanOnlyOn(runB, buildB, 'the run started after it');
            // A history recorded on a versioned worker replays as the replay tests replay (unversioned).
            await Worker.runReplayHistory(
              { workflowBundle: await workflowBundle() },
              await runA.fetchHistory(),
              runA.workflowId,
            );
          },
          build(buildB),
        );
      },
      build(buildA),
    );

    // In the world: each key denied once, each run's replacement made and registered once, for itself.
    assert.equal(await denyStatements(w.kms, demoA.aws.keyId), 1);
    assert.equal(await denyStatements(w.kms, demoB.aws.keyId), 1);
    await assertOneReplacementPerRun(w, runs);
  });

  it('an unversioned worker runs the same workflows, declaring no behavior', async function () {
    // Temporal refuses a versioning behavior from an unversioned worker: the declarations are for versioned ones.
    await withWorker(await devEnvironment(), async ({ client, taskQueue }) => {
      const handle = await client.workflow.start(sweepEndedRuns, {
        taskQueue,
        workflowId: `unversioned-sweep-${randomUUID()}`,
        args: [{ lookbackSeconds: 60 }],
      });
      await handle.result();
      const tasks = await workflowTaskBuilds(handle);
      assert.ok(tasks.length >= 1);
      assert.deepEqual(
        tasks.filter((t) => t.buildId !== '' || t.pinned),
        [],
        'no build, no behavior',
      );
    });
  });

  it('the real `ekm worker` joins its deployment as its build, and refuses a malformed EKM_BUILD_ID', async function () {
    const deploymentName = freshDeployment();
    const ekm = await ekmFor(deploymentName);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-versioned-worker-'));
    const file = path.join(dir, 'worker.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        sandbox: true,
        role: 'read',
        taskQueue: `test-upgrade-${randomUUID()}`,
        mutatingTaskQueue: `test-upgrade-changes-${randomUUID()}`,
        aws: { endpoint: (await moto()).endpoint },
        openai: { baseUrl: 'http://127.0.0.1:9/v1' },
        evidence: { directory: dir },
        versioning: { deploymentName },
      }),
    );
    const env = { TEMPORAL_ADDRESS: (await devServer()).address, EKM_WORKER_CONFIG: file };
    try {
      const refused = await workerProcess(
        { ...env, EKM_BUILD_ID: 'not a build id' },
        () => false,
        async () => {},
      );
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /EKM_BUILD_ID=not a build id: must be a build id/);

      const started = await workerProcess(
        { ...env, EKM_BUILD_ID: '0.1.0-cccccccccccc' },
        (out) => out.includes('polling task queue'),
        async () => {
          ok(await ekm(['worker', 'promote', '0.1.0-cccccccccccc']), 'promote the process’s build');
        },
      );
      assert.match(
        started.stdout,
        new RegExp(`build 0\\.1\\.0-cccccccccccc of deployment ${deploymentName}`),
      );
      assert.equal(started.code, 0, started.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a workflow changed without patched() ships as build B; the run started on A ends on A’s code', async function () {
    const deploymentName = freshDeployment();
    const ekm = await ekmFor(deploymentName);
    const taskQueue = `test-upgrade-${randomUUID()}`;
    const bundleOf = (file: string): Promise<WorkflowBundleWithSourceMap> =>
      bundleWorkflowCode({
        workflowsPath: require.resolve(`../workflows/upgrade/${file}`),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
      });
    const [bundleA, bundleB] = await Promise.all([bundleOf('buildA'), bundleOf('buildB')]);
    const build = (buildId: string, workflowBundle: WorkflowBundleWithSourceMap): WithWorkerOptions => ({
      taskQueue,
      buildId,
      workflowBundle,
      config: { versioning: { deploymentName } },
    });
    const env = await devEnvironment();

    await withWorker(
      env,
      async ({ client }) => {
        ok(await ekm(['worker', 'promote', 'build-a']), 'promote build A');
        const runA = await client.workflow.start('upgradeRehearsal', {
          taskQueue,
          workflowId: `upgrade-a-${randomUUID()}`,
        });
        await waitForWorkflowTask(runA);
        await withWorker(
          env,
          async () => {
            ok(await ekm(['worker', 'promote', 'build-b']), 'promote build B');
            // A build no worker runs is refused, naming what to start, and B stays current.
            const refused = await ekm(['worker', 'promote', 'build-never-deployed', '--wait', '1']);
            assert.equal(refused.code, 1);
            assert.match(
              refused.stderr,
              /build-never-deployed .* has no worker seen polling .* start the build's workers/,
            );
            assert.equal(
              (
                JSON.parse(ok(await ekm(['worker', 'versions', '--json']), 'versions').stdout) as {
                  currentBuildId: string;
                }
              ).currentBuildId,
              'build-b',
            );
            const runB = await client.workflow.start('upgradeRehearsal', {
              taskQueue,
              workflowId: `upgrade-b-${randomUUID()}`,
            });
            await Promise.all([runA.signal(proceed), runB.signal(proceed)]);
            assert.equal(await runA.result(), 'build A');
            assert.equal(await runB.result(), 'build B');
            await assertRanOnlyOn(runA, 'build-a', 'the run started on A');
            await assertRanOnlyOn(runB, 'build-b', 'the run started on B');

            // The change would have broken A's run had it moved: B's code cannot replay A's history.
            const history = await runA.fetchHistory();
            await Worker.runReplayHistory({ workflowBundle: bundleA }, history, runA.workflowId);
            await assert.rejects(
              Worker.runReplayHistory({ workflowBundle: bundleB }, history, runA.workflowId),
              (err: Error) => err.name === 'DeterminismViolationError',
            );
          },
          build('build-b', bundleB),
        );
      },
      build('build-a', bundleA),
    );
  });
});

/**
 * `ekm worker` as a process, until `ready` holds for what it printed or it exits; then it is stopped
 * (SIGTERM) and its exit awaited.
 */
async function workerProcess(
  env: NodeJS.ProcessEnv,
  ready: (stdout: string) => boolean,
  whileRunning: () => Promise<void>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist/client/cli.js'), 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let running = true;
  void exited.then(() => (running = false));
  for (let i = 0; i < 600 && running && !ready(stdout); i++) await new Promise((r) => setTimeout(r, 100));
  try {
    if (running) await whileRunning();
  } finally {
    if (running) child.kill('SIGTERM');
  }
  return { code: await exited, stdout, stderr };
}

/** Until the run's first workflow task is done: the run is then pinned to the build that did it. */
async function waitForWorkflowTask(handle: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await workflowTaskBuilds(handle)).length) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${handle.workflowId}: no workflow task completed`);
}
