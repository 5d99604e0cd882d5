// A fleet as the benchmarks drive it: `revokeFleet` started on seeded keys, its revoke gate approved by a
// person through the vote Update, then every archive wave it opens, until it ends — as a responder running
// `ekm fleet start` and `ekm approve` would (unsigned votes: the bench worker is a sandbox worker).
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { FleetStatus } from '../../common/fleetStatus';
import type { DemoOrganisation } from '../../sandbox/openai/demo';
import { fleetStatusQuery } from '../../workflows/fleet/messages';
import { voteUpdate } from '../../workflows/revoke/messages';
import { revokeFleet } from '../../workflows/revokeFleet';
import { revokeRequest } from './runs';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the fleet's status (across its continue-as-new runs) until `ready` holds or the fleet ends. */
async function waitForFleet(
  handle: WorkflowHandle,
  ready: (s: FleetStatus) => boolean,
  deadline: number,
): Promise<FleetStatus> {
  let last: FleetStatus | undefined;
  for (let poll = 1; Date.now() < deadline; poll++) {
    try {
      last = (await handle.query(fleetStatusQuery)) as FleetStatus;
      if (ready(last) || last.endState) return last;
      // A fleet terminated or timed out by the server never records an end state of its own: asked every
      // 20 polls, so the benchmark fails at once rather than polling a closed run until its deadline.
      if (poll % 20 === 0) {
        const { status } = await handle.describe();
        if (!['RUNNING', 'CONTINUED_AS_NEW'].includes(status.name))
          throw new Error(`${handle.workflowId}: the fleet ended ${status.name} at ${last.stage}`);
      }
    } catch (err) {
      // Before its first task, and right after a continue-as-new, the fleet has no handler yet.
      if (!/QueryNotRegistered|not registered|no such|continued|deadline|timeout/i.test(String(err)))
        throw err;
    }
    await pause(500);
  }
  throw new Error(
    `${handle.workflowId}: the fleet did not end in time; it is at ${last?.stage}: ${JSON.stringify(last && countStages(last))}`,
  );
}

function countStages(s: FleetStatus): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of s.children) {
    const stage = c.stage === 'ended' ? (c.endState ?? 'failed') : c.stage;
    counts[stage] = (counts[stage] ?? 0) + 1;
  }
  return counts;
}

/** Starts a fleet over these keys, approves its revoke gate and each archive wave, and returns its end. */
export async function runFleet(
  client: Client,
  taskQueue: string,
  keys: DemoOrganisation[],
  options: { concurrency: number; approvers: string[]; timeoutMs: number },
): Promise<{ status: FleetStatus; waves: number }> {
  const handle = await client.workflow.start(revokeFleet, {
    taskQueue,
    workflowId: `ekm-fleet:BENCH-A:${randomUUID()}`,
    args: [
      {
        requester: 'rita@example.com',
        reason: 'benchmark: the keys are suspected compromised',
        changeTicket: 'BENCH-A',
        concurrency: options.concurrency,
        keys: keys.map((o) => {
          const { requester: _requester, ...entry } = revokeRequest(o);
          void _requester;
          return entry;
        }),
      },
    ],
  });
  const deadline = Date.now() + options.timeoutMs;
  let waves = 0;
  for (;;) {
    const s = await waitForFleet(handle, (f) => f.openGate !== undefined, deadline);
    if (s.endState) return { status: s, waves };
    const gate = s.openGate!;
    // The revoke gate by the first approver, each archive wave by the second (separation of duties).
    const approver = gate.kind === 'revoke' ? options.approvers[0]! : options.approvers[1]!;
    await handle.executeUpdate(voteUpdate, {
      args: [{ gateId: gate.gateId, planHash: gate.planHash, decision: 'approve', approver }],
    });
    if (gate.kind !== 'revoke') waves += 1;
  }
}
