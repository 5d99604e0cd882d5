// The runbook's "How to rotate your key", as one durable run: preflight (OpenAI validates and reads old
// data now) → plan → approval when the worker asks for one → rotate (now, or automatic with a period)
// → validate right after → wait out OpenAI's key cache → OpenAI still validates and reads old data.
// The same steps for an AWS KMS key and a Google Cloud KMS key; the key's cloud does each
// (providers/<cloud>/workflow/rotation.ts).
//
// A rotation keeps the old key material for old data, so it must never change OpenAI's access. If it
// does, the run fails loudly: an alert goes out, the evidence says so, and the workflow fails.
// Switching an alias to another key is refused at the input: that is a revocation, not a rotation.
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { EkmError } from '../common/errors';
import { rotateKeyInput, type RotateKeyInput, type RotateKeyRequest } from '../providers/rotateRequests';
import { type AccessProof } from '../common/rotationRequest';
import { rootMessage } from '../common/rootMessage';
import { keyOf } from '../providers/runSubject';
import type { EndState } from '../common/runStatus';
import type { RunStatus } from '../providers/runStatus';
import { Gatekeeper } from './approvals/gatekeeper';
import { call, routeChanges } from './revoke/call';
import { validateOnce } from './revoke/confirm';
import { probeAll } from './revoke/preflight';
import { RunRecord } from './revoke/runRecord';
import { parseInput } from './parseInput';
import { operationsOf } from '../providers/operations';
import { statusQuery } from './revoke/messages';
import { whyStartRefused } from './startSignature';
import { approvePlan } from './approvals/approvePlan';
import { Ended } from './ended';

const steps: [string, string][] = [
  ['preflight', 'Preflight: the key, its rotation, OpenAI validates and reads old data'],
  ['plan', 'Plan the rotation'],
  ['approve-rotate', 'Approval to rotate (when the worker asks for one)'],
  ['rotate', 'Rotate'],
  ['validate', 'Validate via the Admin API right after'],
  ['cache-wait', 'Wait out OpenAI’s key cache'],
  ['verify', 'OpenAI still validates and reads old data'],
];

type Zone = 'before-change' | 'rotating' | 'rotated';

/** What is wrong with OpenAI's access, or undefined when it validates and reads every probe. */
function accessProblem(proof: AccessProof): string | undefined {
  if (proof.validate && proof.validate.outcome !== 'success')
    return `validate ${proof.validate.externalKeyId} answered ${proof.validate.outcome} (${proof.validate.why})`;
  const unreadable = proof.probes.flatMap((round) =>
    round.probes.filter((p) => p.outcome !== 'readable').map((p) => `${p.kind} ${p.id} ${p.outcome}`),
  );
  if (unreadable.length) return `old data not readable: ${unreadable.join(', ')}`;
  const control = proof.probes.find((round) => !round.control.ok);
  if (control) return `the control call of ${control.projectId} failed: the probes prove nothing`;
  return undefined;
}

async function proveAccess(request: RotateKeyRequest, when: string): Promise<AccessProof> {
  const validate = request.externalKeyId
    ? await validateOnce(request.externalKeyId, `validate ${request.externalKeyId} (${when})`)
    : undefined;
  return { validate, probes: await probeAll(request, when) };
}

export async function rotateKey(rawInput: RotateKeyInput): Promise<RunStatus<RotateKeyRequest>> {
  const request = parseInput(rotateKeyInput, rawInput);
  const record = new RunRecord(request, steps);
  const gates = new Gatekeeper(record, request.requester, false);
  setHandler(statusQuery, () => record.status, {
    description:
      'The run’s whole state: steps, plan, open gate, the rotation, OpenAI’s access before and after.',
  });
  const state = { zone: 'before-change' as Zone };

  const finish = async (endState: EndState, reason: string) => {
    record.status.endState = endState;
    record.status.endReason = reason;
    record.stage(endState);
    record.awaiting([]);
    await CancellationScope.nonCancellable(() =>
      call('change', 'recordEvidence', 'write the evidence record', record.status),
    );
    return record.status;
  };

  try {
    await rotate(rawInput, request, record, gates, state);
    return await finish('rotated', 'rotated; OpenAI still validates and reads old data');
  } catch (err) {
    if (err instanceof Ended) {
      const status = await finish(err.endState, err.reason);
      if (err.endState !== 'rotation-broke-access') return status;
      // Loud: the run fails, so it stands out in the Web UI and to anything watching for failures.
      throw ApplicationFailure.create({
        type: EkmError.RotationBrokeAccess,
        nonRetryable: true,
        message: err.reason,
      });
    }
    const endState: EndState =
      state.zone === 'before-change'
        ? isCancellation(err)
          ? 'cancelled'
          : 'refused'
        : state.zone === 'rotating'
          ? 'rotate-failed'
          : 'rotated-unverified';
    await finish(endState, isCancellation(err) ? 'cancelled on request' : rootMessage(err)).catch(
      () => undefined,
    );
    throw err;
  }
}

async function rotate(
  rawInput: RotateKeyInput,
  request: RotateKeyRequest,
  record: RunRecord<RotateKeyRequest>,
  gates: Gatekeeper,
  state: { zone: Zone },
): Promise<void> {
  // --- Preflight: the key can be rotated, and OpenAI uses it now -----------------------------------------
  record.start('preflight');
  const settings = await call('read', 'loadRunSettings', 'read the worker’s settings for this run');
  routeChanges(settings.mutatingTaskQueue);
  record.status.settings = settings;
  gates.use(settings);
  const refuse = (message: string): never => {
    throw ApplicationFailure.create({ type: EkmError.PreflightFailed, nonRetryable: true, message });
  };
  const startRefused = whyStartRefused(rawInput, settings);
  if (startRefused) refuse(`start refused: ${startRefused}; nothing was changed`);
  const rotatable = await operationsOf(request).describeForRotation(request);
  if (rotatable.refusal) refuse(rotatable.refusal);
  const key = rotatable.description;
  const before = await operationsOf(request).readRotation(request);
  const accessBefore = await proveAccess(request, 'before the rotation');
  record.status.rotation = { before, accessBefore };
  const problem = accessProblem(accessBefore);
  // A rotation run proves access is unchanged: that needs access to begin with.
  if (problem)
    refuse(`OpenAI cannot use the key before the rotation (${problem}): fix that first; nothing was changed`);
  record.done(
    'preflight',
    `${rotatable.summary}; automatic rotation ${before.automatic ? 'on' : 'off'}; OpenAI validates and reads old data`,
    {
      key,
      before,
      accessBefore,
    },
  );

  record.start('plan');
  const plan = await call('read', 'planRotation', 'plan the rotation and hash the plan', {
    request,
    before,
    access: accessBefore,
    settings,
  });
  record.status.plan = plan;
  record.done('plan', `plan ${plan.hash.slice(0, 12)}…: ${plan.changes[0]}`);

  // --- Approval ------------------------------------------------------------------------------------------
  // Every worker that changes things has a rotate policy (it does not start without one), so a run's
  // settings carry it; the skipped branch stays for runs whose settings were recorded before that rule,
  // and a read worker configured without it: the mutating worker then refuses the unapproved rotation.
  if (settings.approvals.gates.rotate) {
    await approvePlan(
      gates,
      record,
      {
        step: 'approve-rotate',
        kind: 'rotate',
        waiting: (p) => `waiting for approval of plan ${p.hash.slice(0, 12)}…`,
        notApproved: (decision) => new Ended(decision, `rotate gate ${decision}: nothing was changed`),
      },
      plan,
    );
  } else record.update('approve-rotate', 'skipped', 'the worker’s configuration asks for no rotate gate');

  // --- Rotate: once scheduled, it runs to its end -------------------------------------------------------
  record.start('rotate');
  state.zone = 'rotating';
  const approval = settings.approvals.gates.rotate ? gates.proof('rotate') : undefined;
  const change = await CancellationScope.nonCancellable(() =>
    operationsOf(request).rotateOnce(request, approval),
  ).catch((err: unknown) => {
    record.update('rotate', 'failed', rootMessage(err));
    throw new Ended('rotate-failed', `the rotation failed: ${rootMessage(err)}`);
  });
  state.zone = 'rotated';
  record.status.rotation.change = change;
  record.done('rotate', change.description, change);

  // --- Right after: a revoked answer now is already proof enough -----------------------------------------
  if (request.externalKeyId) {
    record.start('validate');
    const v = await validateOnce(request.externalKeyId, `validate ${request.externalKeyId} right after`);
    if (v.outcome === 'revoked') {
      record.update('validate', 'failed', `${v.outcome}: ${v.why}`, v);
      await broke(
        record,
        `validate answered revoked right after the rotation (${v.why}, ${v.requestId ?? 'no request id'})`,
      );
    }
    record.done('validate', `${v.outcome} (${v.why})`, v);
  } else record.update('validate', 'skipped', 'no external key: the probes after the wait decide');

  // --- After OpenAI's cache: the key itself must still serve OpenAI ---------------------------------------
  record.start('cache-wait', `${settings.cacheWaitSeconds} s`);
  await sleep(settings.cacheWaitSeconds * 1000, {
    summary: `wait ${settings.cacheWaitSeconds} s for OpenAI's key cache`,
  });
  record.done('cache-wait', `waited ${settings.cacheWaitSeconds} s (${settings.mode})`);
  record.start('verify');
  const accessAfter = await proveAccess(request, 'after the rotation and the cache wait');
  record.status.rotation.accessAfter = accessAfter;
  const after = accessProblem(accessAfter);
  if (after) {
    record.update('verify', 'failed', after, accessAfter);
    await broke(record, `after the rotation and the cache wait, ${after}`);
  }
  record.done('verify', 'validate success and every probe readable', accessAfter);
}

/** A rotation took OpenAI's access away: alert a person at once, then end the run failed. */
async function broke(record: RunRecord<RotateKeyRequest>, what: string): Promise<never> {
  const { workflowId, runId } = workflowInfo();
  const message = `the rotation of ${keyOf(record.status.request)} changed OpenAI's access — ${what}. A rotation must never revoke: check the key, its policy and OpenAI's registration now`;
  await call('read', 'notify', 'alert: the rotation broke OpenAI’s access', {
    workflowId,
    runId,
    kind: 'escalation',
    message,
  });
  throw new Ended('rotation-broke-access', message);
}
