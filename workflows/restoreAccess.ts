// `ekm restore`: undo a revocation that stopped before the archive — and only that. What is put back is
// the snapshot the revocation kept in the worker's own evidence store (never anything a request says),
// behind its own approval gate, and the run ends when OpenAI validates the key again. The same runbook for
// an AWS and a Google Cloud key; what differs between the clouds is the cloud's
// (providers/<cloud>/workflow/access.ts).
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import { EkmError } from '../common/errors';
import { restoreAccessInput, type RestoreAccessInput } from '../common/restoreRequest';
import { type RevokeKeyRequest } from '../providers/requests';
import type { RunStatus } from '../providers/runStatus';
import { Gatekeeper } from './approvals/gatekeeper';
import { keyOf, principalOf } from '../providers/runSubject';
import { providerIds } from '../providers';
import type { ProviderId } from '../providers/provider';
import { operationsOf } from '../providers/operations';
import type { AccessSnapshot } from '../providers/requests';
import { lockRole } from './locks';
import { takeRoleTurn } from './roleTurn';
import { waitingWords } from '../common/roleTurns';
import { call, routeChanges } from './revoke/call';
import { validateOnce } from './revoke/confirm';
import { statusQuery } from './revoke/messages';
import { readBaseline } from './revoke/preflight';
import { RunRecord } from './revoke/runRecord';
import { restoreDiff } from '../providers/restoreDiff';
import { rootMessage } from '../common/rootMessage';
import { restoreAction } from '../providers/runbookActions';
import { parseInput } from './parseInput';
import { whyStartRefused } from './startSignature';
import { approvePlan } from './approvals/approvePlan';
import { Ended } from './ended';

const steps: [string, string][] = [
  ['preflight', 'Read the revocation’s record and snapshot, and the current state'],
  ['approve-restore', 'Approval to restore'],
  ['restore', 'Put back what the revocation removed'],
  ['validate', 'Validate via the Admin API until OpenAI can use the key again'],
];

/** A revocation that reached these steps cannot be undone here: its project is archived or archiving. */
const pastTheArchive = ['archive', 'replace', 'deletion'];

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: EkmError.PreflightFailed, nonRetryable: true, message });
}

export async function restoreAccess(rawInput: RestoreAccessInput): Promise<RunStatus<RevokeKeyRequest>> {
  const input = parseInput(restoreAccessInput, rawInput);
  const revoked = await call('read', 'readEvidence', 'read the revocation’s evidence', {
    workflowId: input.revokeWorkflowId,
    runId: input.revokeRunId,
  });
  if (!revoked)
    refuse(
      `revokeRunId: no closed revocation ${input.revokeWorkflowId} / ${input.revokeRunId} in this worker's evidence store; a running revocation must be cancelled first (\`ekm cancel\`)`,
    );
  // A record of a cloud this worker cannot restore on is refused, never read as another cloud's.
  const provider = (revoked.request as { provider?: unknown }).provider;
  if (!providerIds.includes(provider as ProviderId))
    refuse(
      `revokeWorkflowId: that revocation names provider ${String(provider)}: there is no restore for it`,
    );
  const request: RevokeKeyRequest = {
    ...(revoked.request as unknown as RevokeKeyRequest),
    // The revocation's requester signed that run's start, not this one's.
    signature: undefined,
    requester: input.requester,
    reason: input.reason,
    changeTicket: input.changeTicket,
  };
  const record = new RunRecord(request, steps);
  record.status.restores = { workflowId: input.revokeWorkflowId, runId: input.revokeRunId };
  const gates = new Gatekeeper(record, input.requester, false);
  setHandler(statusQuery, () => record.status, {
    description:
      'The run’s whole state: steps, plan, open gate or task, votes, end state (what `ekm status` shows).',
  });

  const lock: { release?: () => Promise<void> } = {};
  const finish = async (endState: RunStatus['endState'], reason: string) => {
    record.status.endState = endState;
    record.status.endReason = reason;
    record.stage(endState!);
    await CancellationScope.nonCancellable(() =>
      call('change', 'recordEvidence', 'write the evidence record', record.status),
    );
    await lock.release?.();
    return record.status;
  };

  const run = async (): Promise<RunStatus<RevokeKeyRequest>> => {
    record.start('preflight');
    const reached = revoked.steps.filter(
      (s) => pastTheArchive.includes(s.step) && s.state !== 'pending' && s.state !== 'skipped',
    );
    if (reached.length)
      refuse(
        `revokeWorkflowId: that revocation reached "${reached[0]!.title}": an archived project stays archived, restore is only for runs stopped before the archive`,
      );
    const revokeStep = revoked.steps.find((s) => s.step === 'revoke');
    if (revokeStep?.state !== 'done')
      refuse('revokeWorkflowId: that run never revoked anything: there is nothing to restore');
    const kept: AccessSnapshot | null = await call(
      'read',
      'readAccessSnapshot',
      'read the snapshot the revocation kept',
      { workflowId: input.revokeWorkflowId, runId: input.revokeRunId },
    );
    if (!kept) refuse('revokeRunId: the revocation kept no access snapshot in this worker’s evidence store');
    const cloud = operationsOf(request);
    // The worker's store holds one snapshot per run, but one of another cloud's shape, or of another key,
    // must never reach a restore's change.
    const mismatch = cloud.snapshotMismatch(request, kept);
    if (mismatch) refuse(`revokeRunId: the revocation's access snapshot ${mismatch}: nothing was changed`);
    const snapshot = kept;
    const settings = await call('read', 'loadRunSettings', 'read the worker’s settings for this run');
    routeChanges(settings.mutatingTaskQueue);
    record.status.settings = settings;
    gates.use(settings);
    const startRefused = whyStartRefused(rawInput, settings);
    if (startRefused) return finish('refused', `start refused: ${startRefused}; nothing was changed`);
    // A restore edits what the revocation edited: what other keys share (AWS: the role) is locked as
    // revokeKey locks it.
    // Now only a method that changed the role takes a turn on it (see revoke/steps/preflight.ts).
    if (patched('role-turns-for-role-changes')) {
      const changed = cloud.sharedChange(request);
      if (changed) {
        lock.release = await takeRoleTurn(changed, (place) =>
          record.update('preflight', 'waiting', waitingWords(changed, place)),
        );
        record.update('preflight', 'running', `this restore's turn on ${changed}`);
      }
    } else {
      const shared = cloud.sharedResource(request);
      if (shared) lock.release = await lockRole(shared);
    }
    const current = await readBaseline({ ...request, projectIds: [], probes: [] }, false);
    // Approvers see what the restore will apply (each document now and after) and which snapshot, by the
    // hash the revocation's signed chain records (readAccessSnapshot checked it): both are in the plan hash.
    const shown = patched('restore-plan-shows-diff')
      ? { diff: restoreDiff(request, snapshot, current), snapshot: revoked.accessSnapshot }
      : {};
    const plan = await call('read', 'planFollowUp', 'plan the restore', {
      revokePlanHash: revoked.plan?.hash ?? '',
      state: current,
      changes: [
        `restore what ${request.method} removed on ${keyOf(request)} / ${principalOf(request)}, from the snapshot taken at ${snapshot.takenAt}`,
        ...cloud.restoreDetails(request, snapshot),
      ],
      ...shown,
      // The gate authorises putting back exactly this snapshot (named by its hash) on this key.
      ...(gates.bindsActions()
        ? { actions: [restoreAction(request.provider, request.method, snapshot)] }
        : {}),
    });
    record.status.plan = { ...plan, alsoStops: [], projectsToArchive: [], warnings: [] };
    record.done(
      'preflight',
      `snapshot of ${snapshot.takenAt}; validate now ${current.validate?.outcome ?? 'n/a'}`,
    );

    await approvePlan(
      gates,
      record,
      {
        step: 'approve-restore',
        kind: 'restore',
        waiting: () => undefined,
        notApproved: (decision) => new Ended(decision, `restore gate ${decision}: nothing was changed`),
      },
      plan,
    );

    record.start('restore');
    const change = await CancellationScope.nonCancellable(() =>
      cloud.restoreAccess(request, snapshot, gates.proof('restore')),
    );
    record.done('restore', change.description, change);

    if (request.externalKeyId) {
      record.start('validate');
      const until = Date.now() + settings.validateWindowSeconds * 1000;
      for (;;) {
        const answer = await validateOnce(request.externalKeyId, 'validate after the restore');
        if (answer.outcome === 'success') break;
        if (Date.now() >= until) {
          record.update('validate', 'failed', `still ${answer.outcome}: ${answer.why}`);
          return finish('restored-unverified', 'restored, but OpenAI does not validate the key yet');
        }
        await sleep(settings.validateIntervalSeconds * 1000, { summary: 'wait before the next validate' });
      }
      record.done('validate', 'OpenAI validates the key again');
    } else record.update('validate', 'skipped', 'no external key');
    return finish('restored', 'access restored from the snapshot');
  };
  try {
    return await run();
  } catch (err) {
    if (err instanceof Ended) return finish(err.endState, err.reason);
    // Every end leaves a record, saying how far the restore got.
    const restore = record.status.steps.find((s) => s.step === 'restore')?.state;
    const endState =
      restore === 'done'
        ? 'restored-unverified'
        : restore === 'running'
          ? 'restore-failed'
          : isCancellation(err)
            ? 'cancelled'
            : 'refused';
    await finish(
      endState,
      // The reason under "Activity task failed": e.g. which check of the revocation's evidence failed.
      isCancellation(err) ? 'cancelled on request' : rootMessage(err),
    ).catch(() => undefined);
    throw err;
  }
}
