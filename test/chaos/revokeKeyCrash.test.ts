// The crash the revoke step is built for, on each cloud: the worker process is SIGKILLed after its revoke
// call has changed the key's access (AWS key-policy-deny: PutKeyPolicy; Google Cloud remove-binding:
// SetIamPolicy) and before Temporal has recorded the activity's completion. Temporal then knows only that
// the attempt started; it times the attempt out and retries it on another worker, which must find the
// change made and make none of its own. Run with the real worker binary (a child process, as users run
// it) on the dev server, against moto or the Cloud KMS fake, and the OpenAI twin.
//
// Making the window deterministic: the first worker reaches Temporal and the cloud through proxies of the
// test's own. The cloud's proxy (test/fixtures/providers/crash.ts: how each cloud's write is recognised)
// freezes the Temporal proxy before it forwards the revoke's write. So the change lands in the cloud and
// the activity returns, but its completion sits in a frozen proxy, undelivered, until the worker is killed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { RevocationChange } from '../../providers/requests';
import type { ServiceProcess } from '../../sandbox/process';
import { startWorkerProcess } from '../../sandbox/workerProcess';
import { statusQuery } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { activityEvents, waitFor } from '../fixtures/crash';
import { devEnvironment } from '../fixtures/environments';
import {
  crashProviders,
  workerBinarySetup,
  type CountingRoute,
  type TrippingRoute,
} from '../fixtures/providers/crash';
import { approvers, vote } from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcpProxy';
import { call } from '../fixtures/twin';

for (const p of crashProviders)
  describe(`revokeKey (${p.provider}): the worker killed between the revoke call and its recorded completion`, function () {
    it(`after a restart the run completes, and ${p.written} was written once`, async function () {
      // The wall time is dominated by the revoke activity's startToCloseTimeout (60 s, changeOptions): after
      // the kill nothing tells Temporal the attempt is lost until it times out. Add two worker starts (each
      // bundles the workflows) and the runbook itself (validate, a 3 s cache wait, probes, replacement).
      this.timeout(300_000);
      const w = await p.start();
      const { request, sandbox } = w;
      const temporalAddress = (await devServer()).address;
      const env = await devEnvironment();

      const taskQueue = `test-crash-${p.provider}-${randomUUID()}`;
      const { env: secrets, config: workerConfig } = workerBinarySetup(w, taskQueue);

      const proxies: (TcpProxy | TrippingRoute | CountingRoute)[] = [];
      const workers: ServiceProcess[] = [];
      const wallStart = Date.now();
      let leftover: WorkflowHandle | undefined;
      try {
        await w.checkBeforeRun();
        // Worker 1 reaches Temporal through `temporalProxy` and the cloud through `tripping`; its revoke
        // write freezes the Temporal side before the cloud sees the request.
        const temporalProxy = await startTcpProxy({ target: temporalAddress });
        proxies.push(temporalProxy);
        const tripping = await w.tripOnRevokeWrite(temporalProxy);
        proxies.push(tripping);
        const first = await startWorkerProcess({
          temporalAddress: temporalProxy.address,
          config: workerConfig(tripping.endpoint),
          env: secrets,
          logName: `worker-crash-${p.provider}-1`,
        });
        workers.push(first);

        // The test's own client talks to the dev server directly: it must keep working while the proxy is frozen.
        const handle = await env.client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: w.workflowId,
          args: [request],
        });
        leftover = handle;
        await vote(handle, 'revoke', approvers[0]!);

        await Promise.race([
          tripping.writeSeen,
          delay(60_000).then(() => {
            throw new Error(`worker 1 wrote no ${p.written} within 60 s; its log: ${first.logFile}`);
          }),
        ]);
        // The change has landed in the cloud…
        await w.checkChangeLanded();
        // …and the activity has returned (or is about to): the worker tries to tell Temporal. Its pollers'
        // long polls were sent before the freeze, so the first bytes the frozen proxy holds back after the
        // write are the completion (keepalive pings come every 30 s). Waiting for them, rather than killing
        // at once, puts the kill *after* the activity finished: the worker believes the step done,
        // Temporal has no record of it.
        await waitFor('worker 1 to try to report to Temporal', async () =>
          temporalProxy.held().fromClients > tripping.heldBeforeCompletion() ? true : undefined,
        );
        assert.ok(first.child.pid, 'worker 1 has a pid');
        // The worker runs in a process group of its own (sandbox/process.ts): kill all of it, without warning.
        process.kill(-first.child.pid, 'SIGKILL');
        assert.equal(await first.exited, 'signal SIGKILL');
        assert.equal(tripping.writes(), 1, `worker 1 wrote ${p.written} once`);

        // Temporal has the attempt as started and nothing more: the completion never reached it.
        const beforeRestart = await activityEvents(handle, p.revokeActivity);
        assert.equal(beforeRestart.scheduled.length, 1, 'the revoke activity was scheduled');
        assert.equal(beforeRestart.completed.length, 0, 'no completion recorded');
        assert.equal(beforeRestart.ended.length, 0, 'no failure or timeout recorded yet');
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const revoking = pending.find((a) => a.activityType?.name === p.revokeActivity);
        assert.equal(
          revoking?.state,
          temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        );
        assert.equal(revoking?.attempt, 1);

        // Closing the proxies drops the held completion for good, and ends the dead worker's connections, so
        // the server stops handing tasks to its polls (a task given to one would be lost until it timed out).
        await temporalProxy.close();
        await tripping.close();

        // Worker 2, on the same task queue: Temporal directly, the cloud by a route that counts its writes.
        const counting = await w.countRevokeWrites();
        proxies.push(counting);
        workers.push(
          await startWorkerProcess({
            temporalAddress,
            config: workerConfig(counting.endpoint),
            env: secrets,
            logName: `worker-crash-${p.provider}-2`,
          }),
        );

        // Attempt 1 times out 60 s after it started; attempt 2 runs on worker 2, then the run goes on to the
        // second gate.
        await waitFor(
          'the revoke step done on worker 2',
          async () => {
            const status = await handle.query(statusQuery);
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
        const after = await activityEvents(handle, p.revokeActivity);
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
        assert.match(change.description, p.alreadyChanged);
        assert.equal(counting.writes(), 0, `worker 2 wrote no ${p.written}`);

        // The run's own record: revoke done, from attempt 2's answer.
        const revokeStep = result.steps.find((s) => s.step === 'revoke')!;
        assert.equal(revokeStep.state, 'done');
        assert.equal((revokeStep.data as RevocationChange).changed, false);

        // The change happened once.
        await w.checkChangedOnce();
        // And it took effect: OpenAI's validate of the old external key fails.
        const validate = await call(
          w.twinUrl,
          'POST',
          `/v1/organization/external_keys/${w.externalKeyId}/validate`,
          w.adminKey,
        );
        assert.equal(validate.status, 400, JSON.stringify(validate.body));
        this.test!.title += ` (${((Date.now() - wallStart) / 1000).toFixed(0)}s wall)`;
      } finally {
        // A run left open by a failure would hold the role's lock (AWS) and sit on the dev server: end both.
        if (leftover) {
          await leftover.terminate('test cleanup').catch(() => undefined);
          for (const id of w.leftoverWorkflowIds)
            await env.client.workflow
              .getHandle(id)
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
