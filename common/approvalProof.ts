// The approvals a change acts on, checked again by the activity that makes the change: against the worker's
// own policy and keys, and the run the activity belongs to (from Temporal, not from the input). A workflow
// whose votes were forged, replayed from another run, or never reached quorum cannot make the change.
//
// What the proof authorises is bound too: the gate's hash (what the votes sign) is recomputed here from
// the plans, actions, kind and break-glass the proof carries, so none of them can be changed without the
// signatures failing; and the change's own action — rebuilt by the activity from its arguments — must be
// one of the gate's actions.
import { normalisePerson, type GateView } from './approvals';
import { refuseFleetCover } from './fleetApproval';
import { actionKey, gateHashOf, type PlanActionOf } from './planActions';
import { refuseRevokedKey, type RevokedKey } from './revokedKeys';
import { maxSignatureValidityMs, statementVerifies, voteStatement, type RunRef } from './signedStatement';

/** Handed by the workflow to a gated change: the decided gate and who asked for the run. */
export interface ApprovalProof {
  gate: GateView;
  requester: string;
}

/** What the activity's worker holds: its gate policies, people's keys, whether it is a sandbox. */
export interface ApprovalAuthority {
  policies: Record<string, { approvers: string[]; quorum: number } | undefined>;
  breakGlass?: { approvers: string[]; quorum: number; gates: readonly string[] };
  keys: Record<string, string[]>;
  unsignedAccepted: boolean;
  /** Keys revoked from a time (approvals.revokedKeys): their votes count only if the change comes before. */
  revokedKeys?: readonly RevokedKey[];
}

/**
 * The proof check, its refusals naming actions as `describe` words them (each cloud words the actions on
 * its key: providers/planActions.ts describeAction; activities/requireApproval.ts binds it).
 */
export function proofRefuser(describe: (action: PlanActionOf) => string) {
  return (
    kind: string,
    proof: ApprovalProof | undefined,
    authority: ApprovalAuthority,
    run: RunRef,
    action: PlanActionOf,
    nowMs: number = Date.now(),
  ) => refuseProofWorded(kind, proof, authority, run, action, nowMs, describe);
}

/**
 * Why the proof does not authorise `action` behind gate `kind` on `run`, or undefined when it does. The
 * action is the change's own, rebuilt from its arguments: never taken from the proof.
 */
function refuseProofWorded(
  kind: string,
  proof: ApprovalProof | undefined,
  authority: ApprovalAuthority,
  run: RunRef,
  action: PlanActionOf,
  nowMs: number,
  describeAction: (action: PlanActionOf) => string,
): string | undefined {
  if (!proof) return `a change behind the ${kind} gate was handed no approvals`;
  const { gate, requester } = proof;
  if (gate.kind !== kind) return `the approvals are for a ${gate.kind} gate, not the ${kind} gate`;
  const bound = gate.fleet ? fleetBinding(gate, kind, run) : runBinding(gate, run);
  if (typeof bound === 'string') return bound;
  const { statementRun, gateHash, approved } = bound;
  if (gate.breakGlass) {
    if (!authority.breakGlass)
      return `this worker has no break-glass approval policy (approvals.breakGlass) to check the break-glass approvals of gate ${gate.gateId} against`;
    if (!authority.breakGlass.gates.includes(kind))
      return `a break-glass approval does not cover the ${kind} gate on this worker (approvals.breakGlass.gates: ${authority.breakGlass.gates.join(', ')}): the ${kind} gate needs its normal policy`;
  }
  const policy = gate.breakGlass ? authority.breakGlass : authority.policies[kind];
  if (!policy)
    return `this worker has no ${kind} approval policy (approvals.gates.${kind}) to check the approvals against`;
  if (gate.votes.some((v) => v.decision === 'reject'))
    return `gate ${gate.gateId} has a rejection: nothing may act on it`;
  const allowed = new Set(policy.approvers.map(normalisePerson));
  const counted = new Set<string>();
  const notCounted: string[] = [];
  for (const vote of gate.votes) {
    const who = normalisePerson(vote.approver);
    // The statement is rebuilt from the gate, so a vote carried over from another gate or plan fails.
    const statement = voteStatement(statementRun, { ...vote, gateId: gate.gateId, planHash: gateHash });
    const why = !allowed.has(who)
      ? 'not an approver'
      : who === normalisePerson(requester)
        ? 'the requester'
        : vote.signature
          ? !statementVerifies(statement, vote.signature.value, authority.keys[who] ?? [])
            ? 'signature does not verify'
            : // The validator refused longer validity when the vote came; a vote recorded without that
              // bound (or forged into the proof) is refused here, and so is a key revoked since.
              Date.parse(vote.signature.expiresAt) - Date.parse(vote.at) > maxSignatureValidityMs
              ? 'signed valid for more than 24 h'
              : refuseRevokedKey(statement, vote.signature, authority.revokedKeys, nowMs)
          : authority.unsignedAccepted
            ? undefined
            : 'unsigned';
    if (why) notCounted.push(`${vote.approver}: ${why}`);
    else counted.add(who);
  }
  if (counted.size < policy.quorum)
    return `gate ${gate.gateId} has ${counted.size} verified approval(s) of the ${policy.quorum} the worker's policy needs${notCounted.length ? ` (not counted: ${notCounted.join('; ')})` : ''}`;
  const wanted = actionKey(action);
  if (!approved.some((a) => actionKey(a) === wanted))
    return `the approved plan of gate ${gate.gateId} does not include this change: ${describeAction(action)} (${wanted}); it approves: ${approved.map(describeAction).join('; ') || 'nothing'}`;
  return undefined;
}

/** What the votes sign and what they approve, or why the gate cannot be checked. */
interface Binding {
  /** The run the votes' statements name: this run, or the fleet whose gate covers it. */
  statementRun: RunRef;
  gateHash: string;
  approved: PlanActionOf[];
}

/** A run's own gate: the hash recomputed from the plans, actions, kind and break-glass it carries. */
function runBinding(gate: GateView, run: RunRef): Binding | string {
  if (!Array.isArray(gate.actions) || !Array.isArray(gate.plans))
    return `gate ${gate.gateId} names no actions it approves (a gate opened before approvals were bound to actions): it authorises no change; start a new run`;
  // The votes are checked against the hash recomputed here: a proof whose actions, plans, kind or
  // break-glass were edited after the vote carries signatures over another hash, and none of them verify.
  const gateHash = gateHashOf({ plans: gate.plans, actions: gate.actions }, gate.kind, gate.breakGlass);
  if (gateHash !== gate.planHash)
    return `gate ${gate.gateId}'s hash ${gate.planHash.slice(0, 12)}… is not the hash of the actions, plans, kind and break-glass the approvals carry (${gateHash.slice(0, 12)}…): they were altered after the vote`;
  return { statementRun: run, gateHash, approved: gate.actions };
}

/**
 * A fleet's gate (common/fleetApproval.ts): this run's own entry must be in the list the votes sign, for
 * the plan the run acts on; the votes name the fleet's run; what is approved is the entry's actions only.
 */
function fleetBinding(gate: GateView, kind: string, run: RunRef): Binding | string {
  const cover = gate.fleet!;
  const why = refuseFleetCover(cover, gate.gateId, gate.planHash, kind, gate.breakGlass, run);
  if (why) return why;
  return { statementRun: cover.fleet, gateHash: gate.planHash, approved: cover.entry.actions };
}
