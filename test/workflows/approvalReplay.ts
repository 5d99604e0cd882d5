// A workflow that exists only in the tests: what a modified bundle could do with namespace access. It opens
// a real gate through the product's Gatekeeper (or, as a bundle that rewrote the Gatekeeper would, a gate
// of its own making), lets real approvers sign it, then hands the approved proof to changes the plan never
// named. Each call's outcome comes back: `done`, or the refusal's message.
import type { EkmActivities } from '../../activities';
import type { GateView } from '../../common/approvals';
import type { ApprovalProof } from '../../common/approvalProof';
import { gateHashOf } from '../../common/planActions';
import { type PlanAction } from '../../providers/planActions';
import { rootMessage } from '../../common/rootMessage';
import type { AwsRunSubject } from '../../providers/aws/runSubject';
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { runTag } from '../../common/runTag';
import { Gatekeeper, type GateKind } from '../../workflows/approvals/gatekeeper';
import { call, routeChanges } from '../../workflows/revoke/call';
import { statusQuery } from '../../workflows/revoke/messages';
import { now, RunRecord } from '../../workflows/revoke/runRecord';
import type { RunStatus } from '../../providers/runStatus';

export interface ApprovalReplayInput {
  subject: AwsRunSubject;
  kind: GateKind;
  incident?: boolean;
  /** The plan the gate is opened for (what the approvers see). */
  planHash: string;
  /** What the approved plan names. */
  plan: { actions: PlanAction[] };
  /** Open the gate by hand, not through the Gatekeeper: as break-glass, under this policy. */
  handMade?: { breakGlass: boolean; approvers: string[] };
  /** Open no gate: hand on this proof (a fleet's approval, signed elsewhere) as it is. */
  given?: ApprovalProof;
  /** Edit the approved proof before handing it on. */
  tamper?: { breakGlass?: boolean };
  calls: { name: keyof EkmActivities; args: Record<string, unknown> }[];
}

export async function approvalReplay(raw: ApprovalReplayInput): Promise<string[]> {
  // `{tag}` in the plan or the calls stands for this run's tag: the names a real run would give.
  const tag = runTag(workflowInfo().runId);
  const input = JSON.parse(JSON.stringify(raw).replaceAll('{tag}', tag)) as ApprovalReplayInput;
  const record = new RunRecord(input.subject, [['gate', 'the gate']]);
  const gates = new Gatekeeper(record, input.subject.requester, input.incident === true);
  setHandler(statusQuery, () => record.status as unknown as RunStatus);
  const settings = await call('read', 'loadRunSettings', 'read the worker’s settings');
  routeChanges(settings.mutatingTaskQueue);
  record.status.settings = settings;
  gates.use(settings);
  let proof: ApprovalProof;
  if (input.given) proof = input.given;
  else if (input.handMade) {
    const gate: GateView = {
      gateId: `${input.kind}-1`,
      kind: input.kind,
      // Hashed as the product hashes a gate: this bundle's gate is as well-formed as a real one.
      planHash: gateHashOf(
        { plans: [input.planHash], actions: input.plan.actions },
        input.kind,
        input.handMade.breakGlass,
      ),
      plans: [input.planHash],
      actions: input.plan.actions,
      policy: { approvers: input.handMade.approvers, quorum: 1, deadlineSeconds: 3600 },
      breakGlass: input.handMade.breakGlass,
      openedAt: now(),
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
      votes: [],
    };
    record.status.gates.push(gate);
    record.status.openGate = gate;
    await condition(() => gate.votes.some((v) => v.decision === 'approve'));
    gate.decision = 'approved';
    record.status.openGate = undefined;
    proof = { gate, requester: input.subject.requester };
  } else {
    const decision = await gates.gate(input.kind, input.planHash, input.plan.actions);
    if (decision !== 'approved') return [`gate ${decision}`];
    proof = gates.proof(input.kind);
  }
  if (input.tamper?.breakGlass !== undefined)
    proof = { ...proof, gate: { ...proof.gate, breakGlass: input.tamper.breakGlass } };
  const outcomes: string[] = [];
  for (const { name, args } of input.calls) {
    try {
      await (call as (k: 'change', n: string, s: string, a: unknown) => Promise<unknown>)(
        'change',
        name,
        `replay the approved proof on ${name}`,
        { ...args, approval: proof },
      );
      outcomes.push('done');
    } catch (err) {
      outcomes.push(rootMessage(err));
    }
  }
  return outcomes;
}
