// The revocation runbook ("How to revoke your key" and its best practices), as one durable run:
// preflight → plan → approval → revoke → validate via API → wait out OpenAI's key cache → prove old data
// unreadable → second approval → archive → provision the replacement → (approved) schedule the old key's
// deletion → evidence.
//
// Cancellation has three zones. Before the revoke is scheduled, a cancel changes nothing. Between the
// revoke and the archive, a cancel stops at the next safe point and the run ends revoked-unverified or
// revoked-verified — access is never given back implicitly (`ekm restore` does that, behind its own gate).
// From the archive on, the steps run to their end.
import { CancellationScope, isCancellation, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { rootMessage } from '../common/rootMessage';
import type { EndState } from '../common/runStatus';
import type { RunStatus } from '../providers/runStatus';
import { specOf } from '../providers';
import { operationsOf } from '../providers/operations';
import { revokeKeyInput, type RevokeKeyInput, type RevokeKeyRequest } from '../providers/requests';
import { Gatekeeper } from './approvals/gatekeeper';
import type { FleetMembership } from './fleet/messages';
import { Ended } from './ended';
import { parseInput } from './parseInput';
import { call } from './revoke/call';
import { decideCheaperRuns, runsCheaper } from './revoke/cheaperRuns';
import { statusQuery } from './revoke/messages';
import type { RevocationStart, RunState } from './revoke/revocation';
import { RunRecord } from './revoke/runRecord';
import { archive, approveArchive } from './revoke/steps/archive';
import { deletion } from './revoke/steps/deletion';
import { approveRevoke, plan as planTheChanges } from './revoke/steps/plan';
import { preflight } from './revoke/steps/preflight';
import { replace } from './revoke/steps/replace';
import { revoke } from './revoke/steps/revoke';
import { trail } from './revoke/steps/trail';
import { cacheWait, probes, validate } from './revoke/steps/verify';

const steps: [string, string][] = [
  ['preflight', 'Preflight: key, role, registration, projects, OpenAI access and probes read'],
  ['plan', 'Plan the exact changes'],
  ['approve-revoke', 'Approval to revoke'],
  ['revoke', 'Revoke OpenAI’s access'],
  ['validate', 'Validate via the Admin API until revoked'],
  ['cache-wait', 'Wait out OpenAI’s key cache'],
  ['probes', 'Verify previous data is inaccessible'],
  ['trail', 'Audit trail: no successful use by OpenAI’s role since the revocation'],
  ['approve-archive', 'Approval for the irreversible part'],
  ['archive', 'Archive the project(s) / contact support'],
  ['replace', 'Provision the replacement key, registration and project'],
  ['deletion', 'Schedule the old key’s deletion'],
];

/** The runbook's steps in its cloud's words: OpenAI reaches an AWS key through a role, a GCP key through a principal. */
function stepsFor(request: RevokeKeyRequest): [string, string][] {
  return steps.map(([step, title]): [string, string] => [step, specOf(request).stepTitle(title)]);
}

/**
 * `fleet`: set when a fleet (revokeFleet.ts) started this run: its gates are answered by the fleet's
 * approvals that list this run's plan, and it reports its gates and its end to the fleet.
 */
export async function revokeKey(
  rawInput: RevokeKeyInput,
  fleet?: FleetMembership,
): Promise<RunStatus<RevokeKeyRequest>> {
  const request = parseInput(revokeKeyInput, rawInput);
  const record = new RunRecord(request, stepsFor(request), { coalesce: decideCheaperRuns() });
  const gates = new Gatekeeper(record, request.requester, request.urgency === 'incident');
  if (fleet && patched('fleet-child')) gates.joinFleet(fleet);
  setHandler(statusQuery, () => record.status, {
    description:
      'The run’s whole state: steps, plan, open gate or task, votes, end state (what `ekm status` shows).',
  });
  const state: RunState = { zone: 'before-change', verified: false };
  const run = { rawInput, request, cloud: operationsOf(request), record, gates, state };

  try {
    const end = await runbook(run);
    return await finish(run, end.endState, end.reason);
  } catch (err) {
    if (err instanceof Ended) return await finish(run, err.endState, err.reason);
    const endState: EndState =
      state.zone === 'before-change'
        ? isCancellation(err)
          ? 'cancelled'
          : 'refused'
        : state.zone === 'revoking'
          ? 'revoke-failed'
          : state.zone === 'revoked'
            ? state.verified
              ? 'revoked-verified'
              : 'revoked-unverified'
            : 'archive-incomplete';
    const reason = isCancellation(err) ? 'cancelled on request' : rootMessage(err);
    await finish(run, endState, reason).catch(() => undefined);
    throw err;
  }
}

/** OpenAI's page, step by step (each step in revoke/steps/, named by its id). */
async function runbook(start: RevocationStart): Promise<{ endState: EndState; reason: string }> {
  // --- Preflight and plan: reads only; then the approval, and a fresh look right before the change ------
  const found = await preflight(start);
  const run = { ...start, settings: found.settings };
  const approved = await approveRevoke(run, await planTheChanges(run, found.baseline), found.baseline);

  // --- Revoke, then prove it: validate, wait out the key cache, probes, the audit trail -----------------
  const { snapshot, revokedAt } = await revoke(run, runsCheaper() ? approved.current.access : undefined);
  await validate(run);
  if (run.state.releaseAfterValidate) {
    // The change is made and validated: the next run through the role may go.
    await run.state.release?.();
    run.state.release = undefined;
  }
  await cacheWait(run);
  await probes(run);
  if (found.readsTrail) await trail(run, revokedAt);
  else run.record.update('trail', 'skipped', 'a run from before the audit trail was read');

  // --- Second gate, bound to the state after the revocation ---------------------------------------------
  const afterRevoke = await approveArchive(run, approved.plan, approved.baseline);

  // --- The irreversible part runs to its end ------------------------------------------------------------
  run.state.zone = 'irreversible';
  return CancellationScope.nonCancellable(async () => {
    await archive(run);
    const { request, record } = run;
    if (request.replace) {
      const stopped = await replace(run, afterRevoke, snapshot);
      if (stopped) return { endState: 'archived', reason: stopped } as const;
    } else record.update('replace', 'skipped', 'not asked for');
    if (request.deleteAfterDays) await deletion(run, approved.plan.hash);
    else record.update('deletion', 'skipped', 'not asked for: the old key is kept');
    return {
      endState: request.replace ? 'completed' : 'archived',
      reason: 'the runbook ran to its end',
    } as const;
  });
}

async function finish(
  { record, state, gates }: RevocationStart,
  endState: EndState,
  reason: string,
): Promise<RunStatus<RevokeKeyRequest>> {
  record.status.endState = endState;
  record.status.endReason = reason;
  record.stage(endState);
  record.awaiting([]);
  await CancellationScope.nonCancellable(() =>
    call('change', 'recordEvidence', 'write the evidence record', record.status),
  );
  const { workflowId, runId } = workflowInfo();
  await CancellationScope.nonCancellable(() =>
    gates.reportToFleet({
      event: 'ended',
      workflowId,
      runId,
      endState,
      reason,
      planHash: record.status.plan?.hash,
    }),
  );
  await state.release?.();
  return record.status;
}
