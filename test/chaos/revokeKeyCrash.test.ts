// The crash the revoke step is built for: the worker process is SIGKILLed after its revoke call has changed
// the key policy and before Temporal has recorded the activity's completion. Temporal then knows only that
// the attempt started; it times the attempt out and retries it on another worker, which must find the
// change made and make none of its own. Run with the real worker binary (a child process, as users run
// it) on the dev server, against moto and the OpenAI twin.
//
// Making the window deterministic: the first worker reaches Temporal and moto through proxies of the
// test's own. The moto proxy watches the worker's requests for KMS PutKeyPolicy (the revoke's only write)
// and, before forwarding that request, freezes the Temporal proxy. So the change lands in moto and the
// activity returns, but its completion sits in a frozen proxy, undelivered, until the worker is killed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { keyPolicyDenySid } from '../../providers/aws/activities/policyEdits';
import { keyWorkflowId, roleLockWorkflowId } from '../../common/workflowIds';
import { type AwsRevocationChange } from '../../providers/aws/request';
import type { RunStatus } from '../../providers/runStatus';
import type { ServiceProcess } from '../../sandbox/process';
import { startWorkerProcess } from '../../sandbox/workerProcess';
import type { WorkerConfigInput } from '../../worker/config';
import { statusQuery } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, sandboxWorker, vote } from '../fixtures/revoke';
import { devServer, moto } from '../fixtures/services';
import { activityEvents, waitFor } from '../fixtures/crash';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcpProxy';
import { call, type TwinWorld } from '../fixtures/twin';

const revokeActivity = 'revokeAwsAccess';
/** The header value of the AWS SDK's KMS PutKeyPolicy request (the JSON protocol names the action there). */
const putKeyPolicy = 'TrentService.PutKeyPolicy';

/** The Sids of the demo key's policy statements, read straight from moto. */
async function keyPolicySids(w: TwinWorld): Promise<(string | undefined)[]> {
  const { Policy } = await w.kms.send(
    new GetKeyPolicyCommand({ KeyId: w.demo.aws.keyId, PolicyName: 'default' }),
  );
  const statements = (JSON.parse(Policy!) as { Statement: { Sid?: string }[] | { Sid?: string } }).Statement;
  return (Array.isArray(statements) ? statements : [statements]).map((s) => s.Sid);
}

describe('revokeKey: the worker killed between the revoke call and its recorded completion', function () {
  it('after a restart the run completes, and the key policy was changed once', async function () {
    // The wall time is dominated by the revoke activity's startToCloseTimeout (60 s, changeOptions): after
    // the kill nothing tells Temporal the attempt is lost until it times out. Add two worker starts (each
    // bundles the workflows) and the runbook itself (validate, a 3 s cache wait, probes, replacement).
    this.timeout(300_000);
    const w: TwinWorld = await awsScenario.world('key-policy-deny', 2);
    const request = awsScenario.request(w, 'key-policy-deny');
    const sandbox = sandboxWorker(w);
    const temporalAddress = (await devServer()).address;
    const motoEndpoint = (await moto()).endpoint;
    const env = await devEnvironment();

    // What sandboxWorker(w) gives the in-process worker, as the worker binary's configuration file; secrets
    // reach the process through its environment only, the file names their variables.
    const projects = w.demo.openai.projects;
    const secrets: NodeJS.ProcessEnv = {
      EKM_CRASH_TEST_ADMIN_KEY: w.demo.openai.adminKey,
      ...Object.fromEntries(projects.map((p, i) => [`EKM_CRASH_TEST_PROJECT_KEY_${i + 1}`, p.apiKey])),
    };
    const taskQueue = `test-crash-${request.keyArn.split('/').pop()}`;
    const workerConfig = (awsEndpoint: string): WorkerConfigInput => ({
      taskQueue,
      sandbox: true,
      aws: { region: 'us-east-1', endpoint: awsEndpoint, cloudTrailEndpoint: sandbox.cloudTrailEndpoint },
      openai: {
        baseUrl: `${sandbox.openai!.baseUrl}/v1`,
        adminKeyEnv: 'EKM_CRASH_TEST_ADMIN_KEY',
        projectKeys: Object.fromEntries(
          projects.map((p, i) => [p.id, `EKM_CRASH_TEST_PROJECT_KEY_${i + 1}`]),
        ),
      },
      revoke: sandbox.config!.revoke,
      approvals: sandbox.config!.approvals,
      evidence: sandbox.config!.evidence,
      usage: sandbox.config!.usage,
      watchdog: sandbox.config!.watchdog,
      shutdownGraceSeconds: 5,
    });

    const proxies: TcpProxy[] = [];
    const workers: ServiceProcess[] = [];
    const wallStart = Date.now();
    let leftover: WorkflowHandle | undefined;
    try {
      // Worker 1 reaches Temporal through `temporalProxy` and moto through `motoProxy`; its PutKeyPolicy
      // freezes the Temporal side before moto sees the request.
      const temporalProxy = await startTcpProxy({ target: temporalAddress });
      proxies.push(temporalProxy);
      let tripped!: () => void;
      const revokeCallSent = new Promise<void>((resolve) => (tripped = resolve));
      const motoProxy = await startTcpProxy({
        target: motoEndpoint,
        watch: {
          pattern: putKeyPolicy,
          onMatch: () => {
            temporalProxy.freeze();
            tripped();
          },
        },
      });
      proxies.push(motoProxy);
      const first = await startWorkerProcess({
        temporalAddress: temporalProxy.address,
        config: workerConfig(motoProxy.url),
        env: secrets,
        logName: 'worker-crash-1',
      });
      workers.push(first);

      // The test's own client talks to the dev server directly: it must keep working while the proxy is frozen.
      const handle = await env.client.workflow.start(revokeKey, {
        taskQueue,
        workflowId: keyWorkflowId(request.keyArn),
        args: [request],
      });
      leftover = handle;
      await vote(handle, 'revoke', approvers[0]!);

      await Promise.race([
        revokeCallSent,
        delay(60_000).then(() => {
          throw new Error(`worker 1 sent no ${putKeyPolicy} within 60 s; its log: ${first.logFile}`);
        }),
      ]);
      // The change has landed in moto…
      await waitFor('the Deny statement in the key policy', async () =>
        (await keyPolicySids(w)).includes(keyPolicyDenySid) ? true : undefined,
      );
      // …and the activity has returned: the worker has tried to tell Temporal. Its pollers' long polls were
      // sent before the freeze, so the first bytes the frozen proxy holds back are the completion (keepalive
      // pings come every 30 s). Waiting for them, rather than killing at once, puts the kill *after* the
      // activity finished: the worker believes the step done, Temporal has no record of it.
      await waitFor('worker 1 to try to report to Temporal', async () =>
        temporalProxy.held().fromClients > 0 ? true : undefined,
      );
      assert.ok(first.child.pid, 'worker 1 has a pid');
      // The worker runs in a process group of its own (sandbox/process.ts): kill all of it, without warning.
      process.kill(-first.child.pid, 'SIGKILL');
      assert.equal(await first.exited, 'signal SIGKILL');
      assert.equal(motoProxy.matches(), 1, 'worker 1 wrote the key policy once');

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
      await motoProxy.close();

      // Worker 2, on the same task queue: Temporal directly, moto through a proxy that only counts writes.
      const countingMoto = await startTcpProxy({
        target: motoEndpoint,
        watch: { pattern: putKeyPolicy, onMatch: () => undefined },
      });
      proxies.push(countingMoto);
      workers.push(
        await startWorkerProcess({
          temporalAddress,
          config: workerConfig(countingMoto.url),
          env: secrets,
          logName: 'worker-crash-2',
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

      // The revoke ran twice, and the second attempt found the change made and made none.
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
      const change = defaultPayloadConverter.fromPayload<AwsRevocationChange>(
        after.completed[0]!.activityTaskCompletedEventAttributes!.result!.payloads![0]!,
      );
      assert.equal(change.changed, false, change.description);
      assert.match(change.description, /already denies/);
      assert.equal(countingMoto.matches(), 0, 'worker 2 wrote no key policy');

      // The run's own record: revoke done, from attempt 2's answer.
      const revokeStep = result.steps.find((s) => s.step === 'revoke')!;
      assert.equal(revokeStep.state, 'done');
      assert.equal((revokeStep.data as AwsRevocationChange).changed, false);

      // The change happened once: one Deny statement of ours in the key policy.
      assert.equal((await keyPolicySids(w)).filter((sid) => sid === keyPolicyDenySid).length, 1);
      // And it took effect: OpenAI's validate of the old external key fails.
      const validate = await call(
        w.twin.url,
        'POST',
        `/v1/organization/external_keys/${request.externalKeyId!}/validate`,
        w.demo.openai.adminKey,
      );
      assert.equal(validate.status, 400, JSON.stringify(validate.body));
      this.test!.title += ` (${((Date.now() - wallStart) / 1000).toFixed(0)}s wall)`;
    } finally {
      // A run left open by a failure would hold the role's lock and sit on the dev server: end both.
      if (leftover) {
        await leftover.terminate('test cleanup').catch(() => undefined);
        await env.client.workflow
          .getHandle(roleLockWorkflowId(request.roleArn))
          .terminate('test cleanup')
          .catch(() => undefined);
      }
      for (const worker of workers.reverse()) await worker.stop(5000);
      for (const proxy of proxies) await proxy.close();
      await w.close();
      fs.rmSync(sandbox.evidenceDir, { recursive: true, force: true });
    }
  });
});
