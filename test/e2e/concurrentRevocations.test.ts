// Four revocations at once in one organisation — two AWS keys and two Cloud KMS keys, each with its own
// access, registration and projects — every one asked to provision a replacement (issue "Two runs at
// once"). Run ids are UUIDv7: runs started within the same ~65 s share their first 8 hex digits, and the
// replacement's names were derived from them. So these tests read the world the runs leave behind (the
// twin's registrations and projects, moto's keys and roles, the Cloud KMS fake's keys), not the runs'
// records: each run's new key registered once and for itself, its role naming only that key, its new
// projects bound to that registration. In process (two orders of the archive gates) and through `ekm`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { keyWorkflowId } from '../../common/workflowIds';
import { type RevokeKeyInput } from '../../providers/requests';
import { keyOf } from '../../providers/runSubject';
import { revokeKey } from '../../workflows/revokeKey';
import { asRequester, cliRunOf, ok, revokeFlagsFor, signingKeyFile } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  awsRevokeRequest,
  gcpRevokeRequest,
  requester,
  startSharedRevocationWorld,
  vote,
  waitForGate,
  waitForStatus,
  type SharedRevocationWorld,
} from '../fixtures/revoke';
import { assertOneReplacementPerRun, type EndedRun, type RunStatus } from '../fixtures/replacements';
import { withWorker } from '../fixtures/worker';

const ttlSeconds = 2;
const [alice, bob] = approvers as [string, string];

/** A UUIDv7 begins with its Unix time in ms: the first 8 hex digits change every 2^16 ms. */
const runIdWindowMs = 65_536;

/** Waits, when fewer than `marginMs` are left of the current window, so runs started next share a prefix. */
async function withinOneRunIdWindow(marginMs: number): Promise<void> {
  const left = runIdWindowMs - (Date.now() % runIdWindowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** The four revocations, the clouds interleaved: a run that adopts the one before's registration crosses clouds. */
function requestsOf(w: SharedRevocationWorld): RevokeKeyInput[] {
  const gcp = w.gcpKeys.map((k) => gcpRevokeRequest(k, 'remove-binding'));
  return w.aws.flatMap((demo, i) => [awsRevokeRequest(demo, 'key-policy-deny'), gcp[i]!]);
}

/** The harness's own premise: the runs started close enough together to share their run-id prefix. */
function assertOneRunIdPrefix(runs: EndedRun[]): void {
  const prefixes = new Set(runs.map((r) => r.runId.slice(0, 8)));
  assert.equal(
    prefixes.size,
    1,
    `the runs were started within one ${runIdWindowMs} ms window, so their UUIDv7 run ids should share their first 8 hex digits: ${runs.map((r) => r.runId).join(', ')}`,
  );
}

// --- The runs -----------------------------------------------------------------------------------------------

/** Waits for the run's end; a task for a person (an escalation, none expected) fails the test at once. */
async function runToEnd(handle: WorkflowHandle): Promise<RunStatus> {
  const ended = await waitForStatus(
    handle,
    (s) => {
      if (s.openTask) throw new Error(`${handle.workflowId} asks for a task: ${JSON.stringify(s.openTask)}`);
      return s.endState !== undefined;
    },
    `the end of ${handle.workflowId}`,
    120_000,
  );
  // The record as the run returned it (the status query's, should the run have failed instead).
  return (handle as WorkflowHandle<typeof revokeKey>).result().catch(() => ended as RunStatus);
}

const orders: { name: string; approveArchives(handles: WorkflowHandle[]): Promise<RunStatus[]> }[] = [
  {
    name: 'every archive gate approved at once',
    async approveArchives(handles) {
      await Promise.all(handles.map((h) => waitForGate(h, 'archive')));
      await Promise.all(handles.map((h) => vote(h, 'archive', bob)));
      return Promise.all(handles.map(runToEnd));
    },
  },
  {
    // The order in which a run finds the one before's registration under the shared name every time.
    name: 'one archive gate after another, each once the run before has ended',
    async approveArchives(handles) {
      const ended: RunStatus[] = [];
      for (const handle of handles) {
        await vote(handle, 'archive', bob);
        ended.push(await runToEnd(handle));
      }
      return ended;
    },
  },
];

describe('four revocations at once: two AWS keys and two Cloud KMS keys, one worker', function () {
  let world: SharedRevocationWorld | undefined;
  let keyDir: string | undefined;
  afterEach(async () => {
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    keyDir = undefined;
    await world?.close();
    world = undefined;
  });

  for (const order of orders) {
    it(`${order.name}: four replacements, each registered for its own new key`, async function () {
      const w = (world = await startSharedRevocationWorld({ aws: 2, gcp: 2, cacheTtlSeconds: ttlSeconds }));
      const requests = requestsOf(w);
      const ended = await withWorker(
        await devEnvironment(),
        async ({ client, taskQueue }) => {
          await withinOneRunIdWindow(5_000);
          const handles = await Promise.all(
            requests.map((r) =>
              client.workflow.start(revokeKey, {
                taskQueue,
                workflowId: keyWorkflowId(keyOf(r)),
                args: [r],
              }),
            ),
          );
          await Promise.all(handles.map((h) => vote(h, 'revoke', alice)));
          const statuses = await order.approveArchives(handles);
          return handles.map((h, i) => ({
            request: requests[i]!,
            workflowId: h.workflowId,
            runId: h.firstExecutionRunId,
            status: statuses[i]!,
          }));
        },
        w.worker(),
      );
      await assertOneReplacementPerRun(w, ended);
      assertOneRunIdPrefix(ended);
    });
  }

  it('the same through the CLI binary: signed starts, `ekm approve`, one archive gate after another', async function () {
    this.timeout(300_000);
    const w = (world = await startSharedRevocationWorld({ aws: 2, gcp: 2, cacheTtlSeconds: ttlSeconds }));
    const requests = requestsOf(w);
    const keys = (keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-concurrent-keys-')));
    const keyFile = (who: string) => signingKeyFile(keys, who);
    // The requester signs the starts, so the worker knows the requester's key too.
    const { worker, cli } = await asRequester(w.worker());
    const ended = await withWorker(
      await devEnvironment(),
      async ({ taskQueue }) => {
        // Four `ekm` processes start in parallel; each takes a few seconds on a busy two-core machine.
        await withinOneRunIdWindow(20_000);
        const started = await Promise.all(
          requests.map(async (r) => {
            const flags = revokeFlagsFor(r, taskQueue, { replace: true });
            const run = await cli([
              'revoke',
              'start',
              ...flags,
              '--signing-key',
              keyFile(requester),
              '--json',
            ]);
            return JSON.parse(ok(run, `ekm revoke start ${keyOf(r)}`).stdout) as {
              workflowId: string;
              runId: string;
            };
          }),
        );
        const runs = started.map((s) => cliRunOf(cli, s.workflowId));
        const approve = async (i: number, kind: string, who: string) => {
          const gate = await runs[i]!.gateOpen(kind);
          const flags = ['--as', who, '--plan', gate.planHash.slice(0, 12), '--signing-key', keyFile(who)];
          ok(await cli(['approve', started[i]!.workflowId, ...flags]), `ekm approve (${kind}) run ${i + 1}`);
        };
        await Promise.all(runs.map((_, i) => approve(i, 'revoke', alice)));
        const statuses: RunStatus[] = [];
        for (const [i, run] of runs.entries()) {
          await approve(i, 'archive', bob);
          statuses.push(await run.watchToEnd());
        }
        return started.map((s, i) => ({
          request: requests[i]!,
          workflowId: s.workflowId,
          runId: s.runId,
          status: statuses[i]!,
        }));
      },
      worker,
    );
    await assertOneReplacementPerRun(w, ended);
    assertOneRunIdPrefix(ended);
  });
});
