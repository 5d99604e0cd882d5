// The approvals a change acts on, checked again by the activity that makes the change: against the worker's
// own policy and keys, and the run the activity belongs to (from Temporal, not from the input). A workflow
// whose votes were forged, replayed from another run, or never reached quorum cannot make the change.
import { normalisePerson, type GateView } from './approvals';
import { statementVerifies, voteStatement, type RunRef } from './signedStatement';

/** Handed by the workflow to a gated change: the decided gate and who asked for the run. */
export interface ApprovalProof {
  gate: GateView;
  requester: string;
}

/** What the activity's worker holds: its gate policies, people's keys, whether it is a sandbox. */
export interface ApprovalAuthority {
  policies: Record<string, { approvers: string[]; quorum: number } | undefined>;
  breakGlass?: { approvers: string[]; quorum: number };
  keys: Record<string, string[]>;
  unsignedAccepted: boolean;
}

/** Why the proof does not authorise a change behind gate `kind` on `run`, or undefined when it does. */
export function refuseProof(
  kind: string,
  proof: ApprovalProof | undefined,
  authority: ApprovalAuthority,
  run: RunRef,
): string | undefined {
  if (!proof) return `a change behind the ${kind} gate was handed no approvals`;
  const { gate, requester } = proof;
  if (gate.kind !== kind) return `the approvals are for a ${gate.kind} gate, not the ${kind} gate`;
  const policy = gate.breakGlass ? authority.breakGlass : authority.policies[kind];
  if (!policy)
    return `this worker has no ${gate.breakGlass ? 'break-glass' : kind} approval policy to check the approvals against`;
  if (gate.votes.some((v) => v.decision === 'reject'))
    return `gate ${gate.gateId} has a rejection: nothing may act on it`;
  const allowed = new Set(policy.approvers.map(normalisePerson));
  const counted = new Set<string>();
  const notCounted: string[] = [];
  for (const vote of gate.votes) {
    const who = normalisePerson(vote.approver);
    // The statement is rebuilt from the gate, so a vote carried over from another gate or plan fails.
    const statement = voteStatement(run, { ...vote, gateId: gate.gateId, planHash: gate.planHash });
    const why = !allowed.has(who)
      ? 'not an approver'
      : who === normalisePerson(requester)
        ? 'the requester'
        : vote.signature
          ? statementVerifies(statement, vote.signature.value, authority.keys[who] ?? [])
            ? undefined
            : 'signature does not verify'
          : authority.unsignedAccepted
            ? undefined
            : 'unsigned';
    if (why) notCounted.push(`${vote.approver}: ${why}`);
    else counted.add(who);
  }
  if (counted.size < policy.quorum)
    return `gate ${gate.gateId} has ${counted.size} verified approval(s) of the ${policy.quorum} the worker's policy needs${notCounted.length ? ` (not counted: ${notCounted.join('; ')})` : ''}`;
  return undefined;
}
