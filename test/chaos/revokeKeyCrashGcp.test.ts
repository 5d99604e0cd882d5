// The crash the revoke step is built for, for a Google Cloud KMS key (remove-binding): the worker process is
// SIGKILLed after its SetIamPolicy has taken OpenAI's principal off the key's IAM policy and before Temporal
// has recorded the activity's completion. Temporal then knows only that the attempt started; it times the
// attempt out and retries it on another worker, which must find the binding gone and write no policy of
// its own. Run with the real worker binary (a child process, as users run it) on the dev server, against
// the Cloud KMS fake and the OpenAI twin. The AWS twin of this test is revokeKeyCrash.test.ts.
//
// Making the window deterministic: the first worker reaches Temporal through a TCP proxy and the fake
// through a gRPC proxy, both the test's own. A byte pattern in a TCP stream cannot find the call here: the
// fake speaks gRPC over HTTP/2, whose HPACK may Huffman-code the `:path` header or name it by a table
// index. So the gRPC proxy serves the fake's own service definitions, sees each call by method with its
// request decoded, and — before it forwards the revoke's SetIamPolicy on the key — freezes the Temporal
// proxy. The fake then applies the change and answers, the activity returns, and its completion sits in the
// frozen proxy, undelivered, until the worker is killed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { keyWorkflowId } from '../../common/workflowIds';
import { type RevocationChange } from '../../providers/requests';
import { type GcpRevokeKeyInput } from '../../providers/gcp/request';
import type { RunStatus } from '../../providers/runStatus';
import type { AuditEntry } from '../../sandbox/gcp/kmsFake';
import type { ServiceProcess } from '../../sandbox/process';
import { startWorkerProcess } from '../../sandbox/workerProcess';
import type { WorkerConfigInput } from '../../worker/config';
import { statusQuery } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  gcpRevocation,
  startGcpRevocationWorld,
  vote,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import { startGrpcProxy } from '../fixtures/grpcProxy';
import { activityEvents, waitFor } from '../fixtures/crash';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcpProxy';
import { call } from '../fixtures/twin';

const revokeActivity = 'revokeGcpAccess';
const setIamPolicy = '/google.iam.v1.IAMPolicy/SetIamPolicy';
// The worker process must reach no AWS endpoint in a GCP run: a closed loopback port, as withWorker does.
const nowhere = 'http://127.0.0.1:9';

// --- What the test reads back ------------------------------------------------------------------------------

/** The fake's Admin Activity entries for SetIamPolicy on the key, oldest first (every caller, every outcome). */
function setIamPolicyEntries(w: GcpRevocationWorld): AuditEntry[] {
  return w.gcp.fake
    .auditEntries()
    .filter((e) => e.protoPayload.methodName === 'SetIamPolicy' && e.protoPayload.resourceName === w.keyName);
}

/** How often OpenAI's principal is a member of the key's IAM policy, read through the real client. */
async function openAiMemberships(w: GcpRevocationWorld): Promise<number> {
  const [policy] = await w.gcp.iam.getIamPolicy({ resource: w.keyName });
  return (policy.bindings ?? []).flatMap((b) => b.members ?? []).filter((m) => m === w.principal).length;
}

describe('revokeKey (gcp): the worker killed between SetIamPolicy and its recorded completion', function () {
  it('after a restart the run completes, and the IAM policy was written once', async function () {
    // As for AWS, the wall time is dominated by the revoke activity's startToCloseTimeout (60 s,
    // changeOptions): after the kill nothing tells Temporal the attempt is lost until it times out.
    this.timeout(300_000);
    const w = await startGcpRevocationWorld(2);
    const request = gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput;
    const sandbox = w.worker();
    const temporalAddress = (await devServer()).address;
    const env = await devEnvironment();

    // What w.worker() gives the in-process worker, as the worker binary's configuration file; secrets reach
    // the process through its environment only, the file names their variables.
    const secrets: NodeJS.ProcessEnv = {
      EKM_CRASH_TEST_ADMIN_KEY: w.adminKey,
      ...Object.fromEntries(w.projects.map((p, i) => [`EKM_CRASH_TEST_PROJECT_KEY_${i + 1}`, p.apiKey])),
    };
    const taskQueue = `test-crash-gcp-${randomUUID()}`;
    const workerConfig = (gcpEndpoint: string): WorkerConfigInput => ({
      taskQueue,
      sandbox: true,
      aws: { region: 'us-east-1', endpoint: nowhere },
      gcp: { projectId: sandbox.config!.gcp!.projectId, endpoint: gcpEndpoint },
      openai: {
        baseUrl: `${sandbox.openai!.baseUrl}/v1`,
        adminKeyEnv: 'EKM_CRASH_TEST_ADMIN_KEY',
        projectKeys: Object.fromEntries(
          w.projects.map((p, i) => [p.id, `EKM_CRASH_TEST_PROJECT_KEY_${i + 1}`]),
        ),
      },
      revoke: sandbox.config!.revoke,
      approvals: sandbox.config!.approvals,
      evidence: sandbox.config!.evidence,
      usage: sandbox.config!.usage,
      watchdog: sandbox.config!.watchdog,
      shutdownGraceSeconds: 5,
    });

    // The world's own SetIamPolicy (OpenAI's binding) is on the key already; only the run's count below.
    const entriesBefore = setIamPolicyEntries(w).length;
    assert.equal(await openAiMemberships(w), 1, 'OpenAI is bound on the key before the run');

    const proxies: { close(): Promise<void> }[] = [];
    const workers: ServiceProcess[] = [];
    const wallStart = Date.now();
    let leftover: WorkflowHandle | undefined;
    try {
      // Worker 1 reaches Temporal through `temporalProxy` and the fake through `kmsProxy`; its SetIamPolicy
      // on the key freezes the Temporal side before the fake sees the request.
      const temporalProxy: TcpProxy = await startTcpProxy({ target: temporalAddress });
      proxies.push(temporalProxy);
      let revokeWrites = 0;
      let heldWhenAnswered = -1;
      let answered!: () => void;
      const revokeAnswered = new Promise<void>((resolve) => (answered = resolve));
      const isRevokeWrite = (path: string, r: Record<string, unknown>) =>
        path === setIamPolicy && r.resource === w.keyName;
      const kmsProxy = await startGrpcProxy(w.gcp.fake.address, {
        intercept(path, r) {
          if (!isRevokeWrite(path, r)) return undefined;
          revokeWrites++;
          temporalProxy.freeze();
          return undefined;
        },
        answered(path, r) {
          if (!isRevokeWrite(path, r)) return;
          // Whatever the frozen proxy held before this point was not the completion: it comes after.
          heldWhenAnswered = temporalProxy.held().fromClients;
          answered();
        },
      });
      proxies.push(kmsProxy);
      const first = await startWorkerProcess({
        temporalAddress: temporalProxy.address,
        config: workerConfig(kmsProxy.address),
        env: secrets,
        logName: 'worker-crash-gcp-1',
      });
      workers.push(first);

      // The test's own client talks to the dev server directly: it must keep working while the proxy is frozen.
      const handle = await env.client.workflow.start(revokeKey, {
        taskQueue,
        workflowId: keyWorkflowId(request.keyName),
        args: [request],
      });
      leftover = handle;
      await vote(handle, 'revoke', approvers[0]!);

      await Promise.race([
        revokeAnswered,
        delay(60_000).then(() => {
          throw new Error(
            `worker 1's SetIamPolicy on the key was not answered within 60 s; its log: ${first.logFile}`,
          );
        }),
      ]);
      // The change has landed in the fake: OpenAI's binding is gone, by one logged SetIamPolicy…
      assert.equal(await openAiMemberships(w), 0, 'the binding is gone after worker 1’s SetIamPolicy');
      assert.equal(setIamPolicyEntries(w).length, entriesBefore + 1);
      // …and the answer is on its way to the worker, whose activity then returns and reports to Temporal.
      // The first bytes the frozen proxy holds back after the answer are that completion (the pollers' long
      // polls were sent before the freeze; keepalive pings come every 30 s). Waiting for them puts the kill
      // *after* the activity finished: the worker believes the step done, Temporal has no record of it.
      await waitFor('worker 1 to try to report to Temporal', async () =>
        temporalProxy.held().fromClients > heldWhenAnswered ? true : undefined,
      );
      assert.ok(first.child.pid, 'worker 1 has a pid');
      // The worker runs in a process group of its own (sandbox/process.ts): kill all of it, without warning.
      process.kill(-first.child.pid, 'SIGKILL');
      assert.equal(await first.exited, 'signal SIGKILL');
      assert.equal(revokeWrites, 1, 'worker 1 wrote the key’s IAM policy once');

      // Temporal has the attempt as started and nothing more: the completion never reached it.
      const beforeRestart = await activityEvents(handle, revokeActivity);
      assert.equal(beforeRestart.scheduled.length, 1, 'the revoke activity was scheduled');
      assert.equal(beforeRestart.completed.length, 0, 'no completion recorded');
      assert.equal(beforeRestart.ended.length, 0, 'no failure or timeout recorded yet');
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const revoking = pending.find((a) => a.activityType?.name === revokeActivity);
      assert.equal(
        revoking?.state,
        temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
      assert.equal(revoking?.attempt, 1);

      // Closing the proxies drops the held completion for good, and ends the dead worker's connections, so
      // the server stops handing tasks to its polls (a task given to one would be lost until it timed out).
      await temporalProxy.close();
      await kmsProxy.close();

      // Worker 2, on the same task queue: Temporal and the fake directly.
      workers.push(
        await startWorkerProcess({
          temporalAddress,
          config: workerConfig(w.gcp.fake.address),
          env: secrets,
          logName: 'worker-crash-gcp-2',
        }),
      );

      // Attempt 1 times out 60 s after it started; attempt 2 runs on worker 2, then the run goes on to the
      // second gate.
      await waitFor(
        'the revoke step done on worker 2',
        async () => {
          const status: RunStatus = await handle.query(statusQuery);
          if (status.endState) throw new Error(`the run ended ${status.endState}: ${status.endReason}`);
          return status.steps.find((s) => s.step === 'revoke')?.state === 'done' ? true : undefined;
        },
        { timeoutMs: 150_000, intervalMs: 1000 },
      ).catch(async (err: Error) => {
        // A run that ended is final: say so rather than "waited".
        const status = await handle.query(statusQuery).catch(() => undefined);
        if (status?.endState) throw new Error(`the run ended ${status.endState}: ${status.endReason}`);
        throw err;
      });
      await vote(handle, 'archive', approvers[1]!);
      const result = await handle.result();
      assert.equal(result.endState, 'completed', result.endReason);

      // The revoke ran twice, and the second attempt found the binding gone and wrote nothing.
      const after = await activityEvents(handle, revokeActivity);
      assert.equal(after.scheduled.length, 1);
      assert.equal(after.started.length, 1, 'the history keeps the last attempt only');
      const started = after.started[0]!.activityTaskStartedEventAttributes!;
      assert.equal(started.attempt, 2);
      assert.equal(
        started.lastFailure?.timeoutFailureInfo?.timeoutType,
        temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
        'attempt 1 timed out (the killed worker), it did not fail',
      );
      assert.equal(after.completed.length, 1);
      const change = defaultPayloadConverter.fromPayload<RevocationChange>(
        after.completed[0]!.activityTaskCompletedEventAttributes!.result!.payloads![0]!,
      );
      assert.equal(change.changed, false, change.description);
      assert.match(change.description, /has no binding .*nothing changed/);

      // The run's own record: revoke done, from attempt 2's answer.
      const revokeStep = result.steps.find((s) => s.step === 'revoke')!;
      assert.equal(revokeStep.state, 'done');
      assert.equal((revokeStep.data as RevocationChange).changed, false);

      // The change happened once: the fake logged one SetIamPolicy on the key since the world was seeded —
      // worker 1's, which took OpenAI's principal out — and none by worker 2.
      const written = setIamPolicyEntries(w).slice(entriesBefore);
      assert.equal(written.length, 1, 'one SetIamPolicy on the key in the audit log');
      assert.deepEqual(written[0]!.protoPayload.status, {}, 'and it succeeded');
      const loggedMembers = (
        (written[0]!.protoPayload.request as { policy?: { bindings?: { members: string[] }[] } }).policy
          ?.bindings ?? []
      ).flatMap((b) => b.members);
      assert.ok(!loggedMembers.includes(w.principal), 'the logged policy no longer names OpenAI');
      assert.equal(await openAiMemberships(w), 0, 'OpenAI’s binding is gone');
      // And it took effect: OpenAI's validate of the old external key fails.
      const validate = await call(
        w.twin.url,
        'POST',
        `/v1/organization/external_keys/${w.externalKeyId}/validate`,
        w.adminKey,
      );
      assert.equal(validate.status, 400, JSON.stringify(validate.body));
      this.test!.title += ` (${((Date.now() - wallStart) / 1000).toFixed(0)}s wall)`;
    } finally {
      // A run left open by a failure would sit on the dev server: end it (a GCP run takes no role lock).
      if (leftover) await leftover.terminate('test cleanup').catch(() => undefined);
      for (const worker of workers.reverse()) await worker.stop(5000);
      for (const proxy of proxies) await proxy.close();
      await w.close();
      fs.rmSync(sandbox.evidenceDir, { recursive: true, force: true });
    }
  });
});
