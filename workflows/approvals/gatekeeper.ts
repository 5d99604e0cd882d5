// The approval gates and human tasks of a run. Votes arrive by Update (refused by the validator before
// they reach history: wrong gate, old plan, unknown approver, the requester, a second vote) or by Signal
// (checked in the handler; refused ones are recorded, boundedly). A gate fails closed at its deadline and
// reminds at half-time. A vote or attestation must carry its person's signature over a statement bound to
// this run, the gate or task and the plan — rebuilt here from what the run knows, so a signature made for
// anything else fails; only a sandbox worker takes unsigned ones, and records them as unauthenticated.
import type { z } from 'zod';
import {
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { patchedBeforeCheaper } from '../revoke/cheaperRuns';
import type { EkmActivities } from '../../activities';
import {
  attestationSchema,
  refuseAttestation,
  refuseVote,
  tally,
  taskAnswers,
  voteSchema,
  type Attestation,
  type GateDecision,
  type GatePolicyView,
  type GateView,
  type TaskKind,
  type TaskView,
  type Vote,
} from '../../common/approvals';
import { proofRefuser, type ApprovalProof } from '../../common/approvalProof';
import {
  fleetCovers,
  fleetGateHashOf,
  type FleetChildPlan,
  type FleetCover,
} from '../../common/fleetApproval';
import { gateHashOf } from '../../common/planActions';
import { describeAction, type PlanAction } from '../../providers/planActions';
import type { RunStatus } from '../../providers/runStatus';
import {
  fleetDecisionSignal,
  fleetReportSignal,
  type FleetDecision,
  type FleetMembership,
  type FleetReport,
} from '../fleet/messages';
import { describeIssues } from '../../common/keys';
import type { RunSettingsView } from '../../common/runStatus';
import { attestUpdate, resolveUpdate, voteSignal, voteUpdate } from '../revoke/messages';
import {
  decidedResolution,
  refuseResolution,
  resolutionSchema,
  resolutionStatement,
  stopHashOf,
  type Resolution,
  type StopCandidate,
  type StopView,
} from '../../common/resolution';
import { now } from '../revoke/runRecord';
import type { RunSubject } from '../../providers/runSubject';
import {
  attestationStatement,
  refuseSignature,
  voteStatement,
  type SignerPolicy,
} from '../../common/signedStatement';
import { refuseRevokedKey } from '../../common/revokedKeys';

const { notify } = proxyActivities<EkmActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '5s', maximumAttempts: 5 },
});

/** At most this many refused signal votes are kept (the rest are only counted), so a flood cannot fill history. */
const refusedKept = 20;

/** An Update validator: the message must parse, then pass `refuse` (undefined when it counts); a refusal never reaches history. */
function validatorOf<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: z.ZodError } },
  refuse: (message: T) => string | undefined,
): (message: unknown) => void {
  return (message) => {
    const parsed = schema.safeParse(message);
    if (!parsed.success) throw new Error(describeIssues(parsed.error));
    const why = refuse(parsed.data);
    if (why) throw new Error(why);
  };
}

export type GateKind = 'revoke' | 'archive' | 'deletion' | 'restore' | 'rotate';

/** What the gates keep their account in: a run's record, or a fleet's (the fields gates and votes use). */
export interface GateRecord {
  status: Pick<
    RunStatus<RunSubject>,
    'gates' | 'openGate' | 'tasks' | 'openTask' | 'stops' | 'openStop' | 'refusedVotes' | 'refusedVoteCount'
  > & { plan?: { hash: string } };
  awaiting(what: string[]): void;
  draw(): void;
}

/** A fleet gate as a child holds it: the decided gate, its own leaf and path instead of the whole list. */
type CoveredGate = GateView & { fleet: FleetCover };

/** A decided fleet gate without its list: what each child is handed beside its own leaf and path. */
export function decidedGate(gate: GateView): GateView {
  const { plans: _plans, children: _children, ...decided } = gate;
  void _plans;
  void _children;
  return decided;
}

/** The proof check the activities make, made here too where a child's start stands on its fleet's approval. */
const refuseProof = proofRefuser(describeAction);

export class Gatekeeper {
  private settings?: RunSettingsView;
  private counter = 0;
  /** Set on a fleet's child: its fleet, and the fleet's decisions it has been handed. */
  private membership?: FleetMembership;
  private readonly fleetDecisions: FleetDecision[] = [];

  constructor(
    private readonly record: GateRecord,
    private readonly requester: string,
    private readonly incident: boolean,
  ) {
    const status = record.status;
    setHandler(voteUpdate, (vote) => this.accept(vote, 'update'), {
      description:
        'Vote on the open gate: {gateId, planHash, decision: approve|reject, approver, comment?} — see `ekm status` for the gate and plan hash.',
      validator: (vote) => {
        const why = this.whyRefused(vote);
        if (why) throw new Error(why);
      },
    });
    setHandler(
      voteSignal,
      (vote) => {
        const why = this.whyRefused(vote);
        if (!why) {
          this.accept(vote, 'signal');
          return;
        }
        status.refusedVoteCount += 1;
        if (status.refusedVotes.length < refusedKept)
          status.refusedVotes.push({
            approver: String((vote as Partial<Vote>)?.approver ?? '(none)').slice(0, 200),
            gateId: String((vote as Partial<Vote>)?.gateId ?? '(none)').slice(0, 100),
            at: now(),
            why,
          });
      },
      {
        description:
          'The vote Update, for tools that only signal: the same rules; a refused vote is recorded, not answered.',
      },
    );
    this.listenForResolutions();
    setHandler(attestUpdate, (attestation) => this.attest(attestation), {
      description:
        'Answer the open human task: {taskId, by, outcome, at?, ticketReference?, note?} — see `ekm status` for the task.',
      validator: validatorOf(
        attestationSchema,
        (attestation) =>
          refuseAttestation(
            attestation,
            status.openTask,
            this.settings?.approvals.attesters ?? [],
            this.requester,
          ) ??
          this.whyUnsigned(attestation.signature, () =>
            attestationStatement(this.run(), status.plan?.hash ?? '', attestation),
          ),
      ),
    });
  }

  /** Answers `ekm resolve` on the open stop: the same rules as a vote, bound to the stop's hash. */
  private listenForResolutions(): void {
    setHandler(resolveUpdate, (resolution) => this.acceptResolution(resolution), {
      description:
        'Resolve the open stop: {stopId, stopHash, choice: adopt|create-again|abandon, resource?, approver} — see `ekm status` for the stop and its candidates.',
      validator: validatorOf(
        resolutionSchema,
        (resolution) =>
          refuseResolution(resolution, this.record.status.openStop, this.requester, Date.now()) ??
          this.whyUnsigned(resolution.signature, () => resolutionStatement(this.run(), resolution)),
      ),
    });
  }

  private acceptResolution(resolution: Resolution): StopView {
    const stop = this.record.status.openStop!;
    const parsed = resolutionSchema.parse(resolution);
    const checked = this.settings?.approvals.signers !== undefined;
    stop.votes.push({
      ...parsed,
      at: now(),
      ...(checked ? { authenticated: parsed.signature !== undefined } : {}),
    });
    this.record.draw();
    return stop;
  }

  /**
   * Stops the run for a person, under the policy of the gate the step belongs to, and waits for their
   * decision: `adopt <id>`, `create-again`, `abandon`, or `expired` at the deadline (nothing more is made).
   */
  async stopForPerson(
    kind: GateKind,
    what: { step: string; name: string; why: string; candidates: StopCandidate[] },
  ): Promise<string> {
    const { deadlineMs, ...opened } = this.open(kind);
    const stopId = `resolve-${++this.counter}`;
    const stop: StopView = {
      stopId,
      ...what,
      stopHash: stopHashOf({ stopId, ...what }),
      ...opened,
      votes: [],
    };
    const status = this.record.status;
    (status.stops ??= []).push(stop);
    status.openStop = stop;
    this.record.awaiting(['resolution']);
    await this.tell(
      'escalation',
      `${stopId} on ${workflowInfo().workflowId}: ${what.why} — \`ekm resolve\` by ${stop.policy.approvers.join(', ')} until ${stop.deadline}`,
    );
    try {
      const decided = await condition(() => decidedResolution(stop) !== undefined, deadlineMs);
      stop.decision = decided ? decidedResolution(stop)! : 'expired';
      stop.decidedAt = now();
      return stop.decision;
    } finally {
      status.openStop = undefined;
      this.record.awaiting([]);
    }
  }

  use(settings: RunSettingsView): void {
    this.settings = settings;
  }

  private whyRefused(vote: unknown): string | undefined {
    const parsed = voteSchema.safeParse(vote);
    if (!parsed.success) return describeIssues(parsed.error);
    return (
      refuseVote(parsed.data, this.record.status.openGate, this.requester, Date.now()) ??
      this.whyUnsigned(parsed.data.signature, () => voteStatement(this.run(), parsed.data))
    );
  }

  /** The signature check, for runs whose settings carry signers (older runs had none to check). */
  private whyUnsigned(
    signature: Vote['signature'],
    statement: () => ReturnType<typeof voteStatement>,
  ): string | undefined {
    const approvals = this.settings?.approvals;
    if (!approvals?.signers) return undefined;
    const policy: SignerPolicy = {
      keys: approvals.signers,
      unsignedAccepted: approvals.unsignedAccepted === true,
    };
    // A key revoked from a time refuses every act presented from then on (runs whose settings revoke
    // nothing, every run from before revocations, decide exactly as before).
    const made = statement();
    return (
      refuseSignature(made, signature, policy, Date.now()) ??
      refuseRevokedKey(made, signature, approvals.revokedKeys, Date.now())
    );
  }

  private run(): { workflowId: string; runId: string } {
    const { workflowId, runId } = workflowInfo();
    return { workflowId, runId };
  }

  private accept(vote: Vote, via: 'update' | 'signal'): GateView {
    const gate = this.record.status.openGate!;
    const parsed = voteSchema.parse(vote);
    const checked = this.settings?.approvals.signers !== undefined;
    gate.votes.push({
      ...parsed,
      at: now(),
      via,
      ...(checked ? { authenticated: parsed.signature !== undefined } : {}),
    });
    this.record.draw();
    return gate;
  }

  private policyFor(kind: GateKind): { policy: GatePolicyView; breakGlass: boolean } {
    const approvals = this.settings!.approvals;
    const breakGlass = approvals.breakGlass;
    if (this.incident && breakGlass) {
      // Break-glass decides only the gates the worker's policy lists (default: revoke); an incident's
      // archive or deletion waits for its normal approvers. Runs from before used it for every gate.
      if (!patchedBeforeCheaper('break-glass-covers-its-gates'))
        return { policy: breakGlass, breakGlass: true };
      if ((breakGlass.gates ?? ['revoke']).includes(kind)) {
        const { gates: _gates, ...policy } = breakGlass;
        void _gates;
        return { policy, breakGlass: true };
      }
    }
    return { policy: approvals.gates[kind]!, breakGlass: false };
  }

  /** What a gate or a stop of `kind` opens under: its policy, and its deadline from now. */
  private open(kind: GateKind) {
    const { policy, breakGlass } = this.policyFor(kind);
    const deadlineMs = policy.deadlineSeconds * 1000;
    return {
      policy,
      breakGlass,
      openedAt: now(),
      deadline: new Date(Date.now() + deadlineMs).toISOString(),
      deadlineMs,
    };
  }

  /**
   * True when this run's gates are bound to their plan's actions (runs from before were bound to the plan
   * hash alone). The same answer for the whole run, so callers also use it to hand activities what their
   * actions are rebuilt from.
   */
  bindsActions(): boolean {
    return patchedBeforeCheaper('gate-binds-actions');
  }

  /**
   * Opens a gate for this plan and waits for its decision; the deadline fails it closed. What the votes
   * sign commits to the plan's hash, the actions it authorises (each gated change must find its own among
   * them), the gate's kind and whether it is break-glass (common/planActions.ts).
   */
  async gate(kind: GateKind, planHash: string, actions: PlanAction[] = []): Promise<GateDecision> {
    if (this.membership) return this.fleetChildGate(kind, planHash, actions);
    return (await this.ownGate(kind, planHash, actions)).decision!;
  }

  private ownGate(kind: GateKind, planHash: string, actions: PlanAction[]): Promise<GateView> {
    return this.decide(kind, `${kind}-${++this.counter}`, (breakGlass) =>
      this.bindsActions()
        ? {
            planHash: gateHashOf({ plans: [planHash], actions }, kind, breakGlass),
            plans: [planHash],
            actions,
          }
        : { planHash },
    );
  }

  /** Opens a gate bound as `bind` says (its hash, what it lists) and waits for its decision. */
  private async decide(
    kind: GateKind,
    gateId: string,
    bind: (breakGlass: boolean) => Pick<GateView, 'planHash' | 'plans' | 'actions' | 'children'>,
  ): Promise<GateView> {
    const { deadlineMs, ...opened } = this.open(kind);
    const { policy } = opened;
    const bound = bind(opened.breakGlass);
    const gate: GateView = { gateId, kind, ...bound, ...opened, votes: [] };
    const status = this.record.status;
    status.gates.push(gate);
    status.openGate = gate;
    this.record.awaiting([`approval:${kind}`]);
    const decided = () => tally(gate) !== undefined;
    try {
      if (!(await condition(decided, deadlineMs / 2))) {
        const reminder = this.tell(
          'reminder',
          `gate ${gate.gateId} on ${workflowInfo().workflowId} waits for ${policy.quorum} approval(s) from ${policy.approvers.join(', ')} until ${gate.deadline}`,
        );
        // A slow webhook must not hold the gate open past its deadline (runs from before this waited).
        if (!patchedBeforeCheaper('reminder-does-not-hold-the-gate')) await reminder;
        await condition(decided, Math.max(0, Date.parse(gate.deadline) - Date.now()));
        await reminder;
      }
      gate.decision = tally(gate) ?? 'expired';
      gate.decidedAt = now();
      if (gate.decision === 'expired')
        await this.tell('expired', `gate ${gate.gateId} expired without a decision: the run fails closed`);
      return gate;
    } finally {
      status.openGate = undefined;
      this.record.awaiting([]);
    }
  }

  // --- Fleets (workflows/revokeFleet.ts; common/fleetApproval.ts) -------------------------------------------

  /**
   * A fleet's gate over its children's plans: the votes sign the fleet's run, the list's root and size, the
   * kind and break-glass. Returns the decided gate and, when approved, each child's cover in list order.
   */
  async fleetGate(
    kind: GateKind,
    children: FleetChildPlan[],
  ): Promise<{ gate: GateView; covered: CoveredGate[]; fleet: { workflowId: string; runId: string } }> {
    const fleet = this.run();
    const covers = fleetCovers(fleet, children);
    const root = { fleet: this.run(), root: covers[0]?.root ?? '', count: children.length };
    const gate = await this.decide(kind, `fleet-${kind}-${++this.counter}`, (breakGlass) => ({
      planHash: fleetGateHashOf(root, kind, breakGlass),
      plans: children.map((c) => c.planHash),
      children: children.map(({ workflowId, planHash }) => ({ workflowId, planHash })),
    }));
    if (gate.decision !== 'approved') return { gate, covered: [], fleet };
    return { gate, covered: covers.map((cover) => ({ ...decidedGate(gate), fleet: cover })), fleet };
  }

  /** Makes this run a fleet's child: its gates are answered by the fleet unless its plan drifted. */
  joinFleet(membership: FleetMembership): void {
    this.membership = membership;
    setHandler(
      fleetDecisionSignal,
      (decision) => {
        this.fleetDecisions.push(decision);
      },
      { description: 'The fleet’s decision on the wave this run waits in (from the fleet, not a person).' },
    );
  }

  inFleet(): boolean {
    return this.membership !== undefined;
  }

  /** Tells the fleet where this child stands; a fleet that is gone does not stop the child. */
  async reportToFleet(report: FleetReport): Promise<void> {
    if (!this.membership) return;
    try {
      await getExternalWorkflowHandle(this.membership.workflowId).signal(fleetReportSignal, report);
    } catch (err) {
      log.warn('the fleet could not be told', { fleet: this.membership.workflowId, error: String(err) });
    }
  }

  /**
   * A child's start stands on its fleet's: the fleet's revoke approval must list this run and verify
   * under this worker's policy and keys (the child's own plan may have drifted: that is checked at its gate).
   */
  whyFleetStartRefused(action: PlanAction): string | undefined {
    const revoke = this.membership?.revoke;
    if (!revoke) return `fleet ${this.membership?.workflowId} handed this run no revoke approval`;
    const approvals = this.settings!.approvals;
    if (!approvals.signers) return undefined;
    const breakGlass = approvals.breakGlass;
    return refuseProof(
      'revoke',
      {
        gate: { ...revoke, fleet: { ...revoke.fleet, actsOn: revoke.fleet.entry.planHash } },
        requester: this.requester,
      },
      {
        policies: approvals.gates,
        breakGlass: breakGlass && { ...breakGlass, gates: breakGlass.gates ?? ['revoke'] },
        keys: approvals.signers,
        unsignedAccepted: approvals.unsignedAccepted === true,
        revokedKeys: approvals.revokedKeys ?? [],
      },
      this.run(),
      action,
      Date.now(),
    );
  }

  /**
   * A child's gate: the fleet's approval covers it when it lists this run with this very plan (the revoke
   * gate's came with the start; a wave's comes by signal once the child reports it waits). A revoke plan
   * that drifted from the fleet's opens the child's own gate (`ekm approve <child>`).
   */
  private async fleetChildGate(
    kind: GateKind,
    planHash: string,
    actions: PlanAction[],
  ): Promise<GateDecision> {
    const { workflowId } = workflowInfo();
    const given = kind === 'revoke' ? this.membership!.revoke : undefined;
    const listsThis = given?.fleet.entry.workflowId === workflowId && given.fleet.entry.planHash === planHash;
    if (given && listsThis) return this.coveredBy(given, planHash);
    if (kind === 'revoke') {
      await this.reportToFleet({ event: 'at-gate', workflowId, kind, planHash, actions, own: true });
      const decision = (await this.ownGate(kind, planHash, actions)).decision!;
      await this.reportToFleet({ event: 'past-gate', workflowId, kind, decision });
      return decision;
    }
    await this.reportToFleet({ event: 'at-gate', workflowId, kind, planHash, actions, own: false });
    this.record.awaiting([`fleet:${kind}`]);
    const { deadlineMs } = this.open(kind);
    const answer = () => this.fleetDecisions.find((d) => d.kind === kind && d.planHash === planHash);
    try {
      await condition(() => answer() !== undefined, deadlineMs);
    } finally {
      this.record.awaiting([]);
    }
    const decided = answer();
    if (!decided) return 'expired';
    if (decided.decision !== 'approved' || !decided.gate) return decided.decision;
    return this.coveredBy(decided.gate, planHash);
  }

  /** Records the fleet's gate as this run's, bound to the plan this run acts on. */
  private coveredBy(gate: CoveredGate, planHash: string): GateDecision {
    this.record.status.gates.push({ ...gate, fleet: { ...gate.fleet, actsOn: planHash } });
    this.record.draw();
    return 'approved';
  }

  /** The approvals of the last approved gate of this kind, for the change that acts on them to verify. */
  proof(kind: GateKind): ApprovalProof {
    const gate = [...this.record.status.gates]
      .reverse()
      .find((g) => g.kind === kind && g.decision === 'approved');
    if (!gate) throw new Error(`no approved ${kind} gate on this run`);
    return { gate, requester: this.requester };
  }

  /** Opens a human task and waits for its answer; undefined when it expired. */
  async task(kind: TaskKind): Promise<TaskView> {
    const deadlineMs = this.settings!.approvals.taskDeadlineSeconds * 1000;
    const task: TaskView = {
      taskId: `${kind}-${++this.counter}`,
      kind,
      asks: taskAnswers[kind].asks,
      outcomes: taskAnswers[kind].outcomes,
      openedAt: now(),
      deadline: new Date(Date.now() + deadlineMs).toISOString(),
    };
    const status = this.record.status;
    status.tasks.push(task);
    status.openTask = task;
    this.record.awaiting([`task:${kind}`]);
    if (kind.endsWith('escalation')) await this.tell('escalation', `${task.taskId}: ${task.asks}`);
    try {
      if (!(await condition(() => task.answer !== undefined, deadlineMs))) task.expired = true;
      return task;
    } finally {
      status.openTask = undefined;
      this.record.awaiting([]);
    }
  }

  private attest(attestation: Attestation): TaskView {
    const task = this.record.status.openTask!;
    const parsed = attestationSchema.parse(attestation);
    const checked = this.settings?.approvals.signers !== undefined;
    task.answer = {
      ...parsed,
      recordedAt: now(),
      ...(checked ? { authenticated: parsed.signature !== undefined } : {}),
    };
    this.record.draw();
    return task;
  }

  private async tell(kind: 'reminder' | 'escalation' | 'expired', message: string): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    try {
      await notify({ workflowId, runId, kind, message });
    } catch (err) {
      // A notification that cannot be delivered must not hold the run: the gate still fails closed.
      log.warn('notification failed', { kind, error: String(err) });
    }
  }
}
