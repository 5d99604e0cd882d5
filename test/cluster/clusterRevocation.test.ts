// The production shape's Temporal: the server built from Go on PostgreSQL (4 history shards, SQL
// visibility with the ekm search attributes), a read-only and a mutating worker as separate processes
// (the worker binary, each with its own configuration file). An AWS revocation (key-policy-deny on moto)
// and a Cloud KMS one (remove-binding on the fake) run at once through one OpenAI twin; while both wait out
// OpenAI's cache the server is SIGKILLed and started again on the same PostgreSQL. Both runs complete, and
// the world — moto, the fake, the twin — shows every change made exactly once; PostgreSQL holds the runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetKeyPolicyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId, roleLockWorkflowId } from '../../common/workflowIds';
import { keyPolicyDenySid } from '../../providers/aws/activities/policyEdits';
import { isMutating } from '../../providers/mutatingActivities';
import type { RevokeKeyInput } from '../../providers/requests';
import type { RunStatus } from '../../providers/runStatus';
import { keyOf } from '../../providers/runSubject';
import type { ServiceProcess } from '../../sandbox/process';
import { startWorkerProcess } from '../../sandbox/workerProcess';
import { statusQuery } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { psql, stopTestCluster, testCluster, workerProcessConfig } from '../fixtures/cluster';
import { waitFor } from '../fixtures/crash';
import { assertEvidence } from '../fixtures/evidence';
import {
  approvers,
  awsRevokeRequest,
  gcpRevokeRequest,
  startSharedRevocationWorld,
  vote,
  waitForStatus,
  type SharedRevocationWorld,
} from '../fixtures/revoke';
import { moto } from '../fixtures/services';
import { call } from '../fixtures/twin';

/** OpenAI's data-key cache in the twin: short, the probes after the wait must find access gone. */
const ttlSeconds = 2;
/** The runs' cache wait: long enough to kill and restart the server inside it on a loaded machine. */
const cacheWaitSeconds = 60;

/** What the twin's audit log holds of a kind (one page: the test makes far fewer than 100). */
async function audit(world: SharedRevocationWorld, type: string) {
  const answer = await call(
    world.twin.url,
    'GET',
    `/v1/organization/audit_logs?event_types[]=${type}&limit=100`,
    world.adminKey,
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const page = answer.body as {
    data: { project?: { id: string }; external_key?: { id: string } }[];
    has_more: boolean;
  };
  assert.equal(page.has_more, false);
  return page.data;
}

/** Everything either revocation changes or creates, read from moto, the fake and the twin. */
async function worldCounts(world: SharedRevocationWorld) {
  const demo = world.aws[0]!;
  const gcpKey = world.gcpKeys[0]!;
  const { Policy } = await world.kms.send(
    new GetKeyPolicyCommand({ KeyId: demo.aws.keyArn, PolicyName: 'default' }),
  );
  const [iamPolicy] = await world.gcp.iam.getIamPolicy({ resource: gcpKey.keyName });
  const auditOf = (method: string, resource?: string) =>
    world.gcp.fake
      .auditEntries()
      .filter(
        (e) =>
          e.protoPayload.methodName === method &&
          (resource === undefined || e.protoPayload.resourceName === resource),
      ).length;
  return {
    awsDenyStatements: (JSON.parse(Policy!) as { Statement: { Sid?: string }[] }).Statement.filter(
      (s) => s.Sid === keyPolicyDenySid,
    ).length,
    awsKeys: (await world.kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length ?? 0,
    awsRoles: (await world.iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles?.length ?? 0,
    gcpOpenAiMembers: (iamPolicy.bindings ?? [])
      .flatMap((b) => b.members ?? [])
      .filter((m) => m === gcpKey.principal).length,
    gcpSetIamPolicyOnKey: auditOf('SetIamPolicy', gcpKey.keyName),
    gcpKeysCreated: auditOf('CreateCryptoKey'),
    externalKeysRegistered: (await audit(world, 'external_key.registered')).length,
    projectsCreated: (await audit(world, 'project.created')).length,
  };
}

describe('the PostgreSQL-backed Temporal cluster (built from Go)', function () {
  let world: SharedRevocationWorld | undefined;
  const workers: ServiceProcess[] = [];
  const leftovers: WorkflowHandle[] = [];
  after(async () => {
    for (const handle of leftovers) await handle.terminate('test cleanup').catch(() => undefined);
    for (const worker of workers.reverse()) await worker.stop();
    await world?.close();
    await stopTestCluster();
  });

  it('an AWS and a GCP revocation complete with split worker processes through a server restart in the cache wait; each change once', async function () {
    this.timeout(900_000);
    const cluster = await testCluster();
    // The shards are fixed in the database at its first start.
    assert.deepEqual(psql(cluster, 'temporal', 'select count(*) from shards'), [['4']]);

    const w = (world = await startSharedRevocationWorld({ aws: 1, gcp: 1, cacheTtlSeconds: ttlSeconds }));
    const sandbox = w.worker({ revoke: { cacheWaitSeconds } });
    const taskQueue = `cluster-read-${randomUUID()}`;
    const mutatingTaskQueue = `cluster-mutating-${randomUUID()}`;
    const projects = [...w.aws.flatMap((d) => d.openai.projects), ...w.gcpKeys.flatMap((k) => k.projects)];
    const cloud = {
      aws: {
        region: 'us-east-1',
        endpoint: (await moto()).endpoint,
        cloudTrailEndpoint: sandbox.cloudTrailEndpoint,
      },
      gcp: sandbox.config!.gcp,
    };
    // The read worker first: the launcher's readiness check waits for a workflow poller on `taskQueue`.
    for (const role of ['read', 'mutating'] as const) {
      const { config, env } = workerProcessConfig(sandbox, {
        role,
        taskQueue,
        mutatingTaskQueue,
        cloud,
        projects,
      });
      workers.push(
        await startWorkerProcess({
          temporalAddress: cluster.address,
          namespace: cluster.namespace,
          config,
          env,
          logName: `cluster-worker-${role}`,
        }),
      );
    }

    const requests: RevokeKeyInput[] = [
      awsRevokeRequest(w.aws[0]!, 'key-policy-deny'),
      gcpRevokeRequest(w.gcpKeys[0]!, 'remove-binding'),
    ];
    const before = await worldCounts(w);
    assert.equal(before.gcpOpenAiMembers, 1, 'OpenAI is bound on the Cloud KMS key before the run');

    const connection = await Connection.connect({ address: cluster.address });
    try {
      const client = new Client({ connection, namespace: cluster.namespace });
      const handles = await Promise.all(
        requests.map((request) =>
          client.workflow.start(revokeKey, {
            taskQueue,
            workflowId: keyWorkflowId(keyOf(request)),
            args: [request],
          }),
        ),
      );
      leftovers.push(...handles, client.workflow.getHandle(roleLockWorkflowId(w.aws[0]!.aws.roleArn)));
      await Promise.all(handles.map((handle) => vote(handle, 'revoke', approvers[0]!)));
      for (const handle of handles)
        await waitForStatus(handle, (s) => !!s.cacheWait && !s.cacheWait.endedAt, 'the cache wait', 120_000);

      // Both runs wait out OpenAI's cache: the server dies without warning, and comes back on the same database.
      const killedAt = new Date();
      process.kill(-cluster.server.child.pid!, 'SIGKILL');
      assert.equal(await cluster.server.exited, 'signal SIGKILL');
      await cluster.restartServer();
      for (const handle of handles)
        await waitFor('the run to answer after the restart', () => handle.query(statusQuery), {
          timeoutMs: 180_000,
          intervalMs: 1000,
        });

      // The worker processes rode it out: they polled the restarted server by themselves.
      for (const worker of workers) assert.ok(!worker.hasExited(), `${worker.logFile}: exited`);
      // The rest of the cache wait, the trail and the probes come before the archive gate.
      for (const handle of handles)
        await waitForStatus(handle, (s) => s.openGate?.kind === 'archive', 'the archive gate', 300_000);
      await Promise.all(handles.map((handle) => vote(handle, 'archive', approvers[1]!)));
      const results = (await Promise.all(handles.map((handle) => handle.result()))) as RunStatus[];

      for (const [i, result] of results.entries()) {
        const request = requests[i]!;
        assert.equal(result.endState, 'completed', `${request.provider}: ${result.endReason}`);
        // The restart fell inside the wait: it began before the kill and ended after it.
        assert.ok(new Date(result.cacheWait!.startedAt) < killedAt, JSON.stringify(result.cacheWait));
        assert.ok(new Date(result.cacheWait!.endedAt!) > killedAt, JSON.stringify(result.cacheWait));

        // Every change ran on the mutating worker's queue, and each change's activity completed once.
        const events = (await handles[i]!.fetchHistory()).events ?? [];
        const scheduled = events.flatMap((e) => {
          const a = e.activityTaskScheduledEventAttributes;
          return a ? [{ id: String(e.eventId), name: a.activityType!.name!, queue: a.taskQueue!.name! }] : [];
        });
        for (const { name, queue } of scheduled)
          assert.equal(queue, isMutating(name) ? mutatingTaskQueue : taskQueue, `${name} on ${queue}`);
        const completed = new Set(
          events.flatMap((e) =>
            e.activityTaskCompletedEventAttributes
              ? [String(e.activityTaskCompletedEventAttributes.scheduledEventId)]
              : [],
          ),
        );
        const changes = scheduled.filter((s) => isMutating(s.name) && completed.has(s.id)).map((s) => s.name);
        // One change per target: an archive and a new project per old project, every other change once.
        const perProject = new Set(['archiveProject', 'createProjectOnce']);
        const times = (name: string) => changes.filter((c) => c === name).length;
        for (const name of new Set(changes))
          assert.equal(
            times(name),
            perProject.has(name) ? request.projectIds!.length : 1,
            `${name} completed ${times(name)} times: ${changes.join(', ')}`,
          );
        assert.ok(
          changes.some((name) => /^revoke(Aws|Gcp)Access$/.test(name)),
          changes.join(', '),
        );

        // The replacement: its own registration, two new active projects on it, the old ones archived.
        const replacement = result.replacement!;
        assert.ok(replacement.externalKeyId, JSON.stringify(replacement));
        const onReplacement = w.twin.store.data.projects.filter(
          (p) => p.external_key_id === replacement.externalKeyId,
        );
        assert.equal(onReplacement.length, 2);
        assert.ok(onReplacement.every((p) => p.status === 'active'));
        const archived = await audit(w, 'project.archived');
        for (const projectId of request.projectIds ?? [])
          assert.equal(
            archived.filter((e) => e.project?.id === projectId).length,
            1,
            `${projectId} archived once`,
          );

        // Evidence written by the read worker, its chain intact.
        const folder = path.join(sandbox.evidenceDir, folderFor(keyWorkflowId(keyOf(request))));
        const [runDir] = fs.readdirSync(folder);
        assertEvidence(path.join(folder, runDir!));
      }

      // In the world: the AWS key's policy has one Deny of ours, one replacement key and one role in moto;
      // OpenAI's binding on the Cloud KMS key gone by one SetIamPolicy, one replacement key in the fake; one
      // registration per run and one new project per archived one in the twin.
      const after = await worldCounts(w);
      assert.deepEqual(
        {
          awsDenyStatements: after.awsDenyStatements,
          awsKeys: after.awsKeys - before.awsKeys,
          awsRoles: after.awsRoles - before.awsRoles,
          gcpOpenAiMembers: after.gcpOpenAiMembers,
          gcpSetIamPolicyOnKey: after.gcpSetIamPolicyOnKey - before.gcpSetIamPolicyOnKey,
          gcpKeysCreated: after.gcpKeysCreated - before.gcpKeysCreated,
          externalKeysRegistered: after.externalKeysRegistered - before.externalKeysRegistered,
          projectsCreated: after.projectsCreated - before.projectsCreated,
        },
        {
          awsDenyStatements: 1,
          awsKeys: 1,
          awsRoles: 1,
          gcpOpenAiMembers: 0,
          gcpSetIamPolicyOnKey: 1,
          gcpKeysCreated: 1,
          externalKeysRegistered: 2,
          projectsCreated: projects.length,
        },
      );

      // SQL visibility: the ekm search attributes answer a list query, and the rows are in PostgreSQL.
      for (const request of requests) {
        const key = keyOf(request);
        const query = `EkmKeyId = "${key}" AND EkmProvider = "${request.provider}"`;
        // Visibility is written after the run's last task: give it a moment.
        const listed = await waitFor(`${query} to list the completed run`, async () => {
          const runs = [];
          for await (const run of client.workflow.list({ query })) runs.push(run);
          return runs.length > 0 && runs.every((run) => run.status.name === 'COMPLETED') ? runs : undefined;
        });
        assert.deepEqual(
          listed.map((run) => [run.workflowId, run.status.name]),
          [[keyWorkflowId(key), 'COMPLETED']],
        );
        const rows = psql(
          cluster,
          'temporal_visibility',
          `select status, search_attributes::text from executions_visibility where workflow_id = '${keyWorkflowId(key)}'`,
        );
        assert.equal(rows.length, 1, JSON.stringify(rows));
        assert.equal(rows[0]![0], '2', 'COMPLETED in executions_visibility');
        assert.ok(rows[0]![1]!.includes(key), rows[0]![1]);
      }
      leftovers.length = 0;
    } finally {
      await connection.close();
    }
  });
});
