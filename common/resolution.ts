// A run that stops for a person: a name it gives is taken by something it cannot prove it made, or a
// create's answer was lost and nothing it may have made is listed. The run shows what it found; a person
// the gate's policy allows decides (`ekm resolve`): adopt one of the candidates, create again under a new
// name, or abandon the replacement. Pure and deterministic, like the gate rules: the workflow's validator
// and the CLI apply the same ones. Each resolution is signed over its run, stop, stop hash and choice.
import { hashText } from './hashText';
import { z } from 'zod';
import { normalisePerson, type GatePolicyView } from './approvals';
import { canonicalJson } from './canonicalJson';
import { signatureSchema, type RunRef, type Statement } from './signedStatement';

export const resolutionChoices = ['adopt', 'create-again', 'abandon'] as const;
export type ResolutionChoice = (typeof resolutionChoices)[number];

export const resolutionSchema = z
  .object({
    stopId: z.string().min(1, 'must name the open stop (see `ekm status`)'),
    stopHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the stop hash shown by `ekm status`'),
    choice: z.enum(resolutionChoices, { message: 'must be adopt, create-again or abandon' }),
    /** With adopt: the candidate's id, as the stop lists it. */
    resource: z.string().trim().min(1).max(2048).optional(),
    approver: z.string().trim().min(1, 'must name who resolves'),
    comment: z.string().max(2000, 'is too long (at most 2000 characters)').optional(),
    signature: signatureSchema.optional(),
  })
  .strict();
export type Resolution = z.infer<typeof resolutionSchema>;

export interface StopCandidate {
  id: string;
  description: string;
}

export interface StopView {
  stopId: string;
  /** What the run was making: `replacement external key`, `replacement project for proj_…`, … */
  step: string;
  /** The name the run gives it (or the tags it finds it by). */
  name: string;
  why: string;
  /** What carries the name; adopt names one of these. Empty when a lost create left nothing listed. */
  candidates: StopCandidate[];
  /** sha256 of the stop's content: a resolution is bound to what the person was shown. */
  stopHash: string;
  /** The policy of the gate the replacement belongs to (archive, or break-glass on an incident run). */
  policy: GatePolicyView;
  breakGlass: boolean;
  openedAt: string;
  deadline: string;
  votes: (Resolution & { at: string; authenticated?: boolean })[];
  /** `adopt <id>`, `create-again`, `abandon`, or `expired` (the run then abandons: nothing more is made). */
  decision?: string;
  decidedAt?: string;
}

export function stopHashOf(stop: Pick<StopView, 'stopId' | 'step' | 'name' | 'why' | 'candidates'>): string {
  const { stopId, step, name, why, candidates } = stop;
  return hashText(canonicalJson({ stopId, step, name, why, candidates }));
}

/** The decision a resolution stands for, as it is signed and recorded. */
export function decisionOf(resolution: Pick<Resolution, 'choice' | 'resource'>): string {
  return resolution.choice === 'adopt' ? `adopt ${resolution.resource}` : resolution.choice;
}

export function resolutionStatement(
  run: RunRef,
  resolution: Pick<Resolution, 'stopId' | 'stopHash' | 'choice' | 'resource' | 'approver' | 'signature'>,
  expiresAt = resolution.signature?.expiresAt ?? '',
): Statement {
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    gateId: resolution.stopId,
    planHash: resolution.stopHash,
    decision: decisionOf(resolution),
    signer: resolution.approver.trim().toLowerCase(),
    expiresAt,
  };
}

/** Why a resolution is refused, or undefined when it counts. */
export function refuseResolution(
  resolution: Resolution,
  stop: StopView | undefined,
  requester: string,
  nowMs: number,
): string | undefined {
  if (!stop || stop.decision) return 'the run is not stopped for a person (see `ekm status`)';
  if (nowMs >= Date.parse(stop.deadline))
    return `stop ${stop.stopId} closed at its deadline, ${stop.deadline}`;
  if (resolution.stopId !== stop.stopId)
    return `stop ${resolution.stopId} is not the open stop; the open stop is ${stop.stopId}`;
  if (resolution.stopHash !== stop.stopHash)
    return `the resolution is for stop hash ${resolution.stopHash.slice(0, 12)}…, but stop ${stop.stopId} has ${stop.stopHash.slice(0, 12)}…`;
  if (resolution.choice === 'adopt') {
    if (!resolution.resource)
      return `adopt needs the resource to adopt: one of ${stop.candidates.map((c) => c.id).join(', ') || '(none listed: create again or abandon)'}`;
    if (!stop.candidates.some((c) => c.id === resolution.resource))
      return `${resolution.resource} is not among what the run found under ${stop.name} (${stop.candidates.map((c) => c.id).join(', ') || 'nothing'}): adopt one of those, create again or abandon`;
  } else if (resolution.resource) return `${resolution.choice} takes no resource`;
  const who = normalisePerson(resolution.approver);
  if (who === normalisePerson(requester))
    return `${resolution.approver} requested this run and cannot resolve its stop (separation of duties)`;
  if (!stop.policy.approvers.map(normalisePerson).includes(who))
    return `${resolution.approver} may not resolve this stop (allowed: the approvers of its gate, ${stop.policy.approvers.join(', ')})`;
  if (stop.votes.some((v) => normalisePerson(v.approver) === who))
    return `${resolution.approver} has already answered stop ${stop.stopId}`;
  return undefined;
}

/** The stop's decision once a quorum of its approvers agree on one; undefined while they do not. */
export function decidedResolution(stop: StopView): string | undefined {
  const counts = new Map<string, number>();
  for (const vote of stop.votes) {
    const decision = decisionOf(vote);
    counts.set(decision, (counts.get(decision) ?? 0) + 1);
    if (counts.get(decision)! >= stop.policy.quorum) return decision;
  }
  return undefined;
}
