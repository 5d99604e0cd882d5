// The revocation runbook ("How to revoke your key" and its best practices), as one durable run:
// preflight → plan → approval → revoke → validate via API → wait out OpenAI's key cache → prove old data
// unreadable → second approval → archive → provision the replacement → (approved) schedule the old key's
// deletion → evidence.
//
// Cancellation has three zones. Before the revoke is scheduled, a cancel changes nothing. Between the
// revoke and the archive, a cancel stops at the next safe point and the run ends revoked-unverified or
// revoked-verified — access is never given back implicitly (`ekm restore` does that, behind its own gate).
// From the archive on, the steps run to their end.
import {
  CancellationScope,
  isCancellation,
  ParentClosePolicy,
  patched,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { watchWorkflowId } from '../common/watchdog';
import { type WatchedKey } from '../providers/watchRequests';
import { watchKeyDeletion } from './watchKeyDeletion';
import {
  revokeKeyInput,
  type RevocationBaseline,
  type RevokeKeyInput,
  type RevokeKeyRequest,
} from '../providers/requests';
import type { EndState, RunSettingsView } from '../common/runStatus';
import type { RunStatus } from '../providers/runStatus';
import { keyOf, principalOf } from '../providers/runSubject';
import { trailName } from '../providers/usageRequests';
import { Gatekeeper } from './approvals/gatekeeper';
import type { PlanAction } from '../providers/planActions';
import { deletionActions, followUpActions } from '../providers/runbookActions';
import { runTag } from '../common/runTag';
import { call, routeChanges } from './revoke/call';
import { confirmByValidate, confirmDataInaccessible, validateOnce } from './revoke/confirm';
import { deletionChange, revokeAccess, scheduleKeyDeletion, snapshotAccess } from './revoke/cloud';
import { revocationStatusQuery } from './revoke/messages';
import { readBaseline, refuseUnlessConsistent } from './revoke/preflight';
import { provisionReplacement, ReplacementStopped, type Replacement } from './revoke/provision';
import { provisionReplacementBeforeProof } from './revoke/provisionBeforeProof';
import { usageAfterRevocation, usageBeforeRevocation } from './revoke/usage';
import { rootMessage } from '../common/rootMessage';
import { now, RunRecord } from './revoke/runRecord';
import { lockRole } from './locks';
import { parseInput } from './parseInput';
import { whyStartRefused } from './startSignature';

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

/** Where the run stands, for cancellation. */
type Zone = 'before-change' | 'revoking' | 'revoked' | 'irreversible';

interface RunState {
  zone: Zone;
  /** Validate and probes (or a person) proved the revocation. */
  verified: boolean;
  /** Releases the role's lock. */
  release?: () => Promise<void>;
}

class Ended extends Error {
  constructor(
    readonly endState: EndState,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The runbook's steps in its cloud's words: OpenAI reaches an AWS key through a role, a GCP key through a principal. */
function stepsFor(request: RevokeKeyRequest): [string, string][] {
  if (request.provider === 'aws') return steps;
  return steps.map(([step, title]): [string, string] => [
    step,
    title
      .replace('key, role, registration', 'key, OpenAI’s bindings, registration')
      .replace('OpenAI’s role', 'OpenAI’s principal'),
  ]);
}

export async function revokeKey(rawInput: RevokeKeyInput): Promise<RunStatus<RevokeKeyRequest>> {
  const request = parseInput(revokeKeyInput, rawInput);
  const record = new RunRecord(request, stepsFor(request));
  const gates = new Gatekeeper(record, request.requester, request.urgency === 'incident');
  setHandler(revocationStatusQuery, () => record.status, {
    description:
      'The run’s whole state: steps, plan, open gate or task, votes, end state (what `ekm status` shows).',
  });
  const state: RunState = { zone: 'before-change', verified: false };

  try {
    const endState = await runbook(rawInput, request, record, gates, state);
    return await finish(record, state, endState.endState, endState.reason);
  } catch (err) {
    if (err instanceof Ended) return await finish(record, state, err.endState, err.reason);
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
    await finish(record, state, endState, reason).catch(() => undefined);
    throw err;
  }
}

async function runbook(
  rawInput: RevokeKeyInput,
  request: RevokeKeyRequest,
  record: RunRecord<RevokeKeyRequest>,
  gates: Gatekeeper,
  state: RunState,
): Promise<{ endState: EndState; reason: string }> {
  // --- Preflight and plan: reads only -------------------------------------------------------------------
  record.start('preflight');
  const settings = await call('read', 'loadRunSettings', 'read the worker’s settings for this run');
  routeChanges(settings.mutatingTaskQueue);
  record.status.settings = settings;
  gates.use(settings);
  // Who asked: a plan changes nothing, so anyone may ask for one; a run that may change needs the
  // requester's signature over exactly this request (unsigned only on a sandbox worker).
  const startRefused = request.planOnly ? undefined : whyStartRefused(rawInput, settings);
  if (startRefused) throw new Ended('refused', `start refused: ${startRefused}; nothing was changed`);
  // A role is shared by keys and a revocation edits it, so two runs through one role must not overlap.
  // Google Cloud's methods edit only the key's own IAM policy and versions (remove-binding refuses when
  // the ring grants too; it never edits the ring), which the key's workflow id already locks: no more.
  if (!request.planOnly && request.provider === 'aws') state.release = await lockRole(request.roleArn);
  let baseline = await readBaseline(request, true);
  refuseUnlessConsistent(request, baseline);
  // When OpenAI last used the key: for the approvers and the auditor, never part of the plan's hash (it
  // moves with every use). Runs from before the trail was read have none.
  const readsTrail = patched('usage-around-revocation');
  if (readsTrail) record.status.usage = { before: await usageBeforeRevocation(request, settings) };
  const lastUse = record.status.usage?.before;
  record.done(
    'preflight',
    `key ${baseline.key.state}, OpenAI access ${baseline.validate?.outcome ?? 'n/a'}, ${baseline.probes.flatMap((r) => r.probes).length} probe(s) readable${lastUse ? `; ${lastUse.report ? `last use by OpenAI's ${request.provider === 'gcp' ? 'principal' : 'role'} ${lastUse.report.lastSuccessfulUse ?? 'none in the look-back window'}` : `trail unreadable (${lastUse.error})`}` : ''}`,
    baseline,
  );

  record.start('plan');
  let plan = await call('read', 'planRevocation', 'plan the changes and hash the plan', {
    request,
    baseline,
    settings,
  });
  record.status.plan = plan;
  record.done('plan', `plan ${plan.hash.slice(0, 12)}…: ${plan.changes.length} steps`);
  if (request.planOnly) throw new Ended('planned', 'plan only: nothing was changed');

  // --- Approval, then a fresh look right before the change: drift means a new gate --------------------
  for (;;) {
    record.start('approve-revoke', `waiting for approval of plan ${plan.hash.slice(0, 12)}…`);
    record.update('approve-revoke', 'waiting');
    const decision = await gates.gate('revoke', plan.hash, plan.actions);
    if (decision !== 'approved') {
      record.update('approve-revoke', 'failed', decision);
      throw new Ended(decision, `revoke gate ${decision}: nothing was changed`);
    }
    record.done('approve-revoke', 'approved');
    const current = await readBaseline(request, false);
    refuseUnlessConsistent(request, { ...current, probes: baseline.probes });
    const replanned = await call('read', 'planRevocation', 're-plan from the current state', {
      request,
      baseline: { ...current, probes: baseline.probes },
      settings,
    });
    if (replanned.hash === plan.hash) break;
    record.update(
      'approve-revoke',
      'pending',
      `the state changed since plan ${plan.hash.slice(0, 12)}…: new plan, new gate`,
    );
    baseline = { ...current, probes: baseline.probes };
    plan = replanned;
    record.status.plan = plan;
  }

  // --- Revoke. The snapshot is still a read (a cancel there changes nothing); from the moment the change
  // is scheduled it runs to its end, and a cancel after it stops at the next safe point. -------------
  record.start('revoke');
  const { workflowId, runId } = workflowInfo();
  const snapshot = await snapshotAccess(request);
  const kept = await call('change', 'keepAccessSnapshot', 'keep the snapshot for `ekm restore`', {
    workflowId,
    runId,
    snapshot,
  });
  // The snapshot's hash goes into the run's signed chain: a restore applies only the snapshot it names.
  // (Older runs recorded none; their activity answered the file's path alone.)
  if (patched('access-snapshot-hash-in-evidence'))
    record.status.accessSnapshot = {
      workflowId: kept.workflowId,
      runId: kept.runId,
      file: kept.file,
      sha256: kept.sha256,
    };
  state.zone = 'revoking';
  const change = await CancellationScope.nonCancellable(() =>
    revokeAccess(request, snapshot, gates.proof('revoke')),
  ).catch((err: unknown) => {
    // The method refused (e.g. a managed policy also grants the key) or the cloud refused us: the
    // change may not have happened — or, for a method that edits several policies, only in part.
    record.update('revoke', 'failed', rootMessage(err));
    throw new Ended(
      'revoke-failed',
      `the revoke failed: ${rootMessage(err)}; compare the key and role with the snapshot`,
    );
  });
  state.zone = 'revoked';
  const revokedAt = now();
  record.done('revoke', change.description, change);

  // --- Validate via the Admin API -----------------------------------------------------------------------
  if (request.externalKeyId) {
    record.start('validate');
    const confirmed = await confirmByValidate(request.externalKeyId, settings, record, gates);
    if (!confirmed.confirmed) {
      record.update('validate', 'failed', 'not confirmed; a person stopped the run');
      throw new Ended('revoked-unverified', 'OpenAI never confirmed the revocation; stopped by a person');
    }
    record.done('validate', `${settings.validateConfirmations} revoked answers in a row`, confirmed.answers);
  } else record.update('validate', 'skipped', 'no external key: ChatGPT Enterprise has no API');

  // --- Wait out OpenAI's key cache (one hour against the real API; the worker decides) ----------------
  record.start('cache-wait', `${settings.cacheWaitSeconds} s`);
  record.status.cacheWait = { startedAt: now(), seconds: settings.cacheWaitSeconds };
  await sleep(settings.cacheWaitSeconds * 1000, {
    summary: `wait ${settings.cacheWaitSeconds} s for OpenAI's key cache`,
  });
  record.status.cacheWait.endedAt = now();
  record.done('cache-wait', `waited ${settings.cacheWaitSeconds} s (${settings.mode})`);

  // --- Verify data inaccessibility --------------------------------------------------------------------
  record.start('probes');
  if (request.product === 'api') {
    const proof = await confirmDataInaccessible(request, settings, record, gates);
    if (!proof.confirmed) {
      record.update('probes', 'failed', 'data not proven inaccessible; a person stopped the run');
      throw new Ended('revoked-unverified', 'previous data stayed readable; stopped by a person');
    }
    record.done('probes', 'every probe denied while the control call answered', proof.rounds);
  } else {
    record.update('probes', 'waiting', 'a person checks the workspace');
    const task = await gates.task('chatgpt-verify');
    if (task.answer?.outcome !== 'inaccessible') {
      record.update(
        'probes',
        'failed',
        task.answer ? `attested ${task.answer.outcome}` : 'no attestation in time',
      );
      throw new Ended('revoked-unverified', 'the workspace was not attested inaccessible');
    }
    record.done('probes', `attested inaccessible by ${task.answer.by}`);
  }
  state.verified = true;
  if (readsTrail) await confirmNoUseSince(request, settings, record, revokedAt);
  else record.update('trail', 'skipped', 'a run from before the audit trail was read');

  // --- Second gate, bound to the state after the revocation; a fresh check right before archiving -----
  let afterRevoke = await stillRevoked(request, baseline);
  const irreversible = plan.changes.filter((c) => /archive|support|replacement|deletion/.test(c));
  // What the archive gate authorises: the archives, and the replacement this run makes (runs from before
  // approved the plan's hash alone).
  const bound = gates.bindsActions();
  const followUp = (state: RevocationBaseline) =>
    bound
      ? {
          actions: followUpActions(
            request,
            runTag(workflowInfo().runId),
            state.projects.map((p) => p.id),
            state.externalKey?.externalId,
          ),
        }
      : {};
  let archivePlan = await call('read', 'planFollowUp', 'plan the irreversible part', {
    revokePlanHash: plan.hash,
    state: afterRevoke,
    changes: irreversible,
    ...followUp(afterRevoke),
  });
  record.status.followUpPlan = archivePlan;
  for (;;) {
    record.start('approve-archive', `waiting for approval of ${archivePlan.hash.slice(0, 12)}…`);
    record.update('approve-archive', 'waiting');
    const decision = await gates.gate('archive', archivePlan.hash, archivePlan.actions);
    if (decision !== 'approved') {
      record.update('approve-archive', 'failed', decision);
      throw new Ended('revoked-verified', `archive gate ${decision}: revoked and verified, nothing archived`);
    }
    record.done('approve-archive', 'approved');
    const current = await stillRevoked(request, baseline);
    const replanned = await call(
      'read',
      'planFollowUp',
      're-plan the irreversible part from the current state',
      {
        revokePlanHash: plan.hash,
        state: current,
        changes: irreversible,
        ...followUp(current),
      },
    );
    if (replanned.hash === archivePlan.hash) break;
    record.update('approve-archive', 'pending', 'the state changed since the approval: new plan, new gate');
    afterRevoke = current;
    archivePlan = replanned;
    record.status.followUpPlan = archivePlan;
  }

  // --- The irreversible part runs to its end ----------------------------------------------------------
  state.zone = 'irreversible';
  return CancellationScope.nonCancellable(async () => {
    record.start('archive');
    if (request.product === 'api') {
      for (const projectId of request.projectIds)
        await call('change', 'archiveProject', `archive project ${projectId}`, {
          projectId,
          // The archive validates this key itself right before it archives.
          ...(bound ? { externalKeyId: request.externalKeyId } : {}),
          approval: gates.proof('archive'),
        });
      record.done('archive', `archived ${request.projectIds.join(', ')}`);
    } else {
      record.update('archive', 'waiting', 'a person contacts OpenAI support');
      const task = await gates.task('chatgpt-support');
      if (!task.answer) {
        record.update('archive', 'failed', 'nobody attested the support contact in time');
        throw new Ended(
          'archive-incomplete',
          'revoked and verified; OpenAI support was not (attested) contacted',
        );
      }
      record.done('archive', `support contacted by ${task.answer.by}, ticket ${task.answer.ticketReference}`);
    }

    if (request.replace) {
      record.start('replace');
      let replacement: Replacement;
      try {
        // Names from the whole run id, adoption only with proof, a person where proof is missing; runs
        // from before adopted whatever carried the name they gave.
        replacement = patched('replacement-owned-by-proof')
          ? await provisionReplacement(request, afterRevoke, gates, snapshot)
          : await provisionReplacementBeforeProof(request, afterRevoke, gates.proof('archive'), snapshot);
      } catch (err) {
        if (!(err instanceof ReplacementStopped)) throw err;
        const { projects: _made, ...made } = err.made;
        void _made;
        record.status.replacement = made;
        record.update('replace', 'failed', err.message, err.made);
        record.update('deletion', 'skipped', 'the replacement was not completed: the old key is kept');
        return { endState: 'archived', reason: `archived; ${err.message}` } as const;
      }
      const { projects: _projects, ...ids } = replacement;
      void _projects;
      record.status.replacement = ids;
      if (replacement.externalKeyId) {
        const check = await validateOnce(
          replacement.externalKeyId,
          `validate the replacement ${replacement.externalKeyId}`,
        );
        if (check.outcome !== 'success') {
          // Never schedule the old key's deletion on the strength of a replacement that does not work.
          record.update('replace', 'failed', `the replacement does not validate: ${check.why}`, replacement);
          record.update('deletion', 'skipped', 'the replacement does not validate: the old key is kept');
          return {
            endState: 'archived',
            reason: `archived; the replacement does not validate (${check.why})`,
          } as const;
        } else
          record.done(
            'replace',
            `new key ${replacement.keyArn ?? replacement.keyName}, ${replacement.externalKeyId}, ${replacement.projects.map((p) => p.id).join(', ')}`,
            replacement,
          );
      } else
        record.done(
          'replace',
          `new key ${replacement.keyArn ?? replacement.keyName} (give it to OpenAI support for the new workspace)`,
          replacement,
        );
    } else record.update('replace', 'skipped', 'not asked for');

    if (request.deleteAfterDays) await scheduleDeletion(request, gates, record, plan.hash);
    else record.update('deletion', 'skipped', 'not asked for: the old key is kept');
    return {
      endState: request.replace ? 'completed' : 'archived',
      reason: 'the runbook ran to its end',
    } as const;
  });
}

/** The audit trail must show no successful use by OpenAI's role after the revocation took effect. */
async function confirmNoUseSince(
  request: RevokeKeyRequest,
  settings: RunSettingsView,
  record: RunRecord<RevokeKeyRequest>,
  revokedAt: string,
): Promise<void> {
  record.start('trail');
  const waitEndedAt = record.status.cacheWait?.endedAt ?? now();
  const check = await usageAfterRevocation(request, settings, revokedAt, waitEndedAt);
  record.status.usage = { ...record.status.usage, after: check };
  if (!check.report) {
    record.update(
      'trail',
      'skipped',
      `${trailName(request.provider)} could not be read (${check.error}): validate and the probes stand alone`,
      check,
    );
    return;
  }
  const refused = `${check.report.refused} refused attempt(s)`;
  if (check.lateUses.length) {
    const last = check.lateUses[0]!;
    record.update(
      'trail',
      'failed',
      `${check.lateUses.length} successful use(s) after ${check.effectiveFrom}`,
      check,
    );
    throw new Ended(
      'revoked-unverified',
      `${trailName(request.provider)} lists successful ${last.eventName} by ${principalOf(request)} at ${last.eventTime} (event ${last.eventId}), after the revocation took effect at ${check.effectiveFrom}: OpenAI could still use the key; nothing archived`,
    );
  }
  const grace = check.graceUses ? `, ${check.graceUses} successful within the propagation grace` : '';
  record.done('trail', `no successful use after ${check.effectiveFrom}; ${refused}${grace}`, check);
}

/** Before the archive, access must still be revoked: something may have re-granted it. */
async function stillRevoked(
  request: RevokeKeyRequest,
  baseline: RevocationBaseline,
): Promise<RevocationBaseline> {
  const current = await readBaseline(request, false);
  if (current.validate && current.validate.outcome !== 'revoked')
    throw new Ended(
      current.validate.outcome === 'success' ? 'access-regranted' : 'revoked-verified',
      current.validate.outcome === 'success'
        ? `OpenAI can use the key again (validate ${current.validate.requestId ?? ''}): something re-granted access; nothing archived`
        : `validate answers unknown before the archive (${current.validate.why}); nothing archived`,
    );
  return { ...current, probes: baseline.probes };
}

async function scheduleDeletion(
  request: RevokeKeyRequest,
  gates: Gatekeeper,
  record: RunRecord<RevokeKeyRequest>,
  planHash: string,
): Promise<void> {
  record.start('deletion');
  // Bound to the state now (projects archived, the replacement made), not only to the first plan: the
  // approver of a deletion must see the world it will happen in. Runs from before this used the first
  // plan's hash.
  let gateHash = planHash;
  let actions: PlanAction[] | undefined;
  if (patched('deletion-gate-bound-to-its-own-plan')) {
    const now = await readBaseline(request, false);
    const deletionPlan = await call('read', 'planFollowUp', 'plan the deletion from the current state', {
      revokePlanHash: planHash,
      state: now,
      changes: [
        deletionChange(request, 'provider' in now ? now.key.destroyScheduledDurationSeconds : undefined),
        `the replacement in use: ${replacementKeyOf(record) ?? 'none'} / ${record.status.replacement?.externalKeyId ?? 'no external key'}`,
      ],
      ...(gates.bindsActions() ? { actions: deletionActions(request) } : {}),
    });
    record.status.followUpPlan = deletionPlan;
    gateHash = deletionPlan.hash;
    actions = deletionPlan.actions;
  }
  record.update('deletion', 'waiting');
  // Inside the irreversible zone: a cancel no longer stops the run, and the gate still decides.
  const decision = await gates.gate('deletion', gateHash, actions);
  if (decision !== 'approved') {
    record.update('deletion', 'skipped', `deletion gate ${decision}: the old key is kept`);
    return;
  }
  const scheduled = await scheduleKeyDeletion(request, gates.proof('deletion'));
  if (request.provider === 'gcp') {
    const watched = patched('gcp-deletion-watchdog');
    record.done(
      'deletion',
      watched
        ? `${scheduled.description}`
        : // Runs from before the watchdog read Cloud Logging said so rather than pretend.
          `${scheduled.description}; not watched: the deletion watchdog reads AWS CloudTrail only — watch Cloud Logging for use of ${request.keyName} until ${scheduled.when}`,
      scheduled.data,
    );
    if (watched)
      record.status.deletionWatch = await watchDeletion({ provider: 'gcp', keyName: request.keyName });
    return;
  }
  record.done('deletion', `deletion scheduled for ${scheduled.when}`, scheduled.data);
  // The deletion window is watched by a run of its own, which outlives this one: this run closes with
  // its record, the watch goes on until the deletion date. Runs from before the watchdog had none.
  if (patched('deletion-watchdog'))
    record.status.deletionWatch = await watchDeletion({ provider: 'aws', keyArn: request.keyArn });
}

/** The replacement key's name in its cloud's spelling, once the run made one. */
function replacementKeyOf(record: RunRecord<RevokeKeyRequest>): string | undefined {
  const made = record.status.replacement as { keyArn?: string; keyName?: string } | undefined;
  return made?.keyArn ?? made?.keyName;
}

async function watchDeletion(watched: WatchedKey): Promise<NonNullable<RunStatus['deletionWatch']>> {
  const key = keyOf(watched);
  const workflowId = watchWorkflowId(key);
  try {
    const watch = await startChild(watchKeyDeletion, {
      workflowId,
      args: [{ ...watched, since: now(), revokeWorkflowId: workflowInfo().workflowId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `Deletion watch on ${key}`,
    });
    return {
      workflowId,
      runId: watch.firstExecutionRunId,
      note: 'watching the audit trail until the deletion date',
    };
  } catch (err) {
    // A watch already running for this key (an earlier revocation's) goes on watching the same window.
    if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    return { workflowId, note: 'a watch of this key was already running; it goes on' };
  }
}

async function finish(
  record: RunRecord<RevokeKeyRequest>,
  state: RunState,
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
  await state.release?.();
  return record.status;
}
