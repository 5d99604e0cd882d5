// Approval gates: what a vote says, what a gate holds, and the rules a vote must pass. Pure and
// deterministic, so the workflow's update validator and signal handler, and the CLI before it sends,
// apply the same rules. Signatures are checked by `common/signedStatement.ts`.
import { z } from 'zod';
import type { FleetCover } from './fleetApproval';
import type { PlanActionOf } from './planActions';
import { signatureSchema } from './signedStatement';

export const voteDecisions = ['approve', 'reject'] as const;

export const voteSchema = z
  .object({
    gateId: z.string().min(1, 'must name the open gate (see `ekm status`)'),
    planHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the plan hash shown by `ekm status`'),
    decision: z.enum(voteDecisions, { message: 'must be approve or reject' }),
    approver: z.string().trim().min(1, 'must name the approver'),
    comment: z.string().max(2000, 'is too long (at most 2000 characters)').optional(),
    /** The approver's Ed25519 signature over the vote's statement (`voteStatement`). */
    signature: signatureSchema.optional(),
  })
  .strict();
export type Vote = z.infer<typeof voteSchema>;

export interface GatePolicyView {
  approvers: string[];
  quorum: number;
  deadlineSeconds: number;
}

export interface RecordedVote extends Vote {
  at: string;
  via: 'update' | 'signal';
  /** The signature verified against the approver's key; false for an unsigned vote a sandbox took. */
  authenticated?: boolean;
}

export interface RefusedVote {
  approver: string;
  gateId: string;
  at: string;
  why: string;
}

export type GateDecision = 'approved' | 'rejected' | 'expired';

export interface GateView {
  gateId: string;
  /** revoke, archive, deletion, restore */
  kind: string;
  /**
   * What votes sign. Gates opened since actions were bound: gateHashOf({plans, actions}, kind, breakGlass)
   * (common/planActions.ts); before: the plan's own hash.
   */
  planHash: string;
  /** The plan hash(es) this gate approves (one for a run's own gate; a fleet gate lists its children's). */
  plans?: string[];
  /** The actions this gate authorises: each gated change must find its own action here. */
  actions?: PlanActionOf[];
  /**
   * On a fleet child: the gate was decided by its fleet, whose votes sign the list this cover proves the
   * child's plan is in (common/fleetApproval.ts). On the fleet: `children`, the list its gate covers.
   */
  fleet?: FleetCover;
  children?: { workflowId: string; planHash: string }[];
  policy: GatePolicyView;
  /** Incident runs use the break-glass policy. */
  breakGlass: boolean;
  openedAt: string;
  deadline: string;
  votes: RecordedVote[];
  decision?: GateDecision;
  decidedAt?: string;
}

/** Why a vote is refused, or undefined when it counts. The order is the order a person fixes things in. */
export function refuseVote(
  vote: Vote,
  gate: GateView | undefined,
  requester: string,
  nowMs: number,
): string | undefined {
  if (!gate || gate.decision)
    return 'no approval gate is open on this run (see `ekm status` for what it waits for)';
  // The gate fails closed at its deadline even if the run has not yet got round to closing it.
  if (nowMs >= Date.parse(gate.deadline))
    return `gate ${gate.gateId} closed at its deadline, ${gate.deadline}`;
  if (vote.gateId !== gate.gateId)
    return `gate ${vote.gateId} is not the open gate; the open gate is ${gate.gateId}`;
  if (vote.planHash !== gate.planHash)
    return `the vote is for plan ${vote.planHash.slice(0, 12)}…, but the gate is for plan ${gate.planHash.slice(0, 12)}… (the plan changed: review it again with \`ekm status\`)`;
  const approver = normalisePerson(vote.approver);
  if (approver === normalisePerson(requester))
    return `${vote.approver} requested this run and cannot approve it (separation of duties)`;
  if (!gate.policy.approvers.map(normalisePerson).includes(approver))
    return `${vote.approver} is not an approver of the ${gate.kind} gate (allowed: ${gate.policy.approvers.join(', ')})`;
  if (gate.votes.some((v) => normalisePerson(v.approver) === approver))
    return `${vote.approver} has already voted on gate ${gate.gateId}`;
  return undefined;
}

/** The gate's decision once the votes are in: one rejection rejects, a quorum of approvals approves. */
export function tally(gate: GateView): GateDecision | undefined {
  if (gate.votes.some((v) => v.decision === 'reject')) return 'rejected';
  if (gate.votes.filter((v) => v.decision === 'approve').length >= gate.policy.quorum) return 'approved';
  return undefined;
}

export function normalisePerson(name: string): string {
  return name.trim().toLowerCase();
}

// --- Human tasks: what a person did where the product has no API (ChatGPT Enterprise), or decides when
// the run cannot (validate never confirming, data still readable). -------------------------------------

export const taskKinds = [
  'chatgpt-verify',
  'chatgpt-support',
  'validate-escalation',
  'probe-escalation',
] as const;
export type TaskKind = (typeof taskKinds)[number];

/** What each task asks, and the answers it takes. */
export const taskAnswers: Record<TaskKind, { asks: string; outcomes: readonly string[] }> = {
  'chatgpt-verify': {
    asks: 'Confirm in the ChatGPT Enterprise workspace that previous conversations, conversation search and custom GPTs no longer open.',
    outcomes: ['inaccessible', 'still-accessible'],
  },
  'chatgpt-support': {
    asks: 'Contact OpenAI support about the revocation so they spin up a new workspace; give the ticket reference.',
    outcomes: ['contacted'],
  },
  'validate-escalation': {
    asks: 'OpenAI has not confirmed the revocation in time (answers unknown or still successful). Keep checking, or stop here?',
    outcomes: ['keep-checking', 'stop'],
  },
  'probe-escalation': {
    asks: 'Data is still readable after the cache wait. Keep checking, or stop here?',
    outcomes: ['keep-checking', 'stop'],
  },
};

export const attestationSchema = z
  .object({
    taskId: z.string().min(1, 'must name the open task (see `ekm status`)'),
    by: z.string().trim().min(1, 'must name who attests'),
    outcome: z.string().min(1, 'must give the outcome'),
    /** When the person did it (ISO 8601); defaults to when the attestation is recorded. */
    at: z.iso.datetime({ message: 'must be an ISO 8601 time such as 2026-11-29T10:00:00Z' }).optional(),
    ticketReference: z.string().trim().max(200).optional(),
    note: z.string().max(2000).optional(),
    /** The attester's signature over the attestation's statement (`attestationStatement`). */
    signature: signatureSchema.optional(),
  })
  .strict();
export type Attestation = z.infer<typeof attestationSchema>;

export interface TaskView {
  taskId: string;
  kind: TaskKind;
  asks: string;
  outcomes: readonly string[];
  openedAt: string;
  deadline: string;
  answer?: Attestation & { recordedAt: string; authenticated?: boolean };
  expired?: boolean;
}

export function refuseAttestation(
  attestation: Attestation,
  task: TaskView | undefined,
  attesters: string[],
  requester: string,
): string | undefined {
  if (!task || task.answer || task.expired) return 'no human task is open on this run';
  if (attestation.taskId !== task.taskId)
    return `task ${attestation.taskId} is not the open task; the open task is ${task.taskId}`;
  // Proving one's own revocation worked is the one answer that needs a second person.
  if (task.kind === 'chatgpt-verify' && normalisePerson(attestation.by) === normalisePerson(requester))
    return `${attestation.by} requested this run and cannot attest its verification (separation of duties)`;
  if (!attesters.map(normalisePerson).includes(normalisePerson(attestation.by)))
    return `${attestation.by} may not answer tasks on this run (allowed: ${attesters.join(', ')})`;
  if (!task.outcomes.includes(attestation.outcome))
    return `outcome must be one of: ${task.outcomes.join(', ')}`;
  if (task.kind === 'chatgpt-support' && !attestation.ticketReference)
    return 'ticketReference is required: give the support ticket reference';
  return undefined;
}
