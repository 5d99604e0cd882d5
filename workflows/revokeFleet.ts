// Many keys at once: every key of the fleet planned by its own plan-only run (today's planRevocation, so
// each child's plan hash is the one its real run will show), one fleet plan whose hash covers every child's,
// one signed fleet approval of the revoke gate listing exactly those (child, plan) pairs; then the children
// run — each a whole `revokeKey` — at most `concurrency` at once. A child whose state drifted re-plans and
// waits for its own approval while the others go on; the children that reach the archive (or deletion)
// gate are approved together, wave by wave, so the slowest never holds the rest; a failed child never
// blocks the others. The fleet continues as new before its history grows too long, carrying its state, and
// ends with every child's outcome as its evidence.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { GateView } from '../common/approvals';
import { canonicalJson } from '../common/canonicalJson';
import { fleetCovers, type FleetChildPlan, type FleetCover } from '../common/fleetApproval';
import type { RunRef } from '../common/signedStatement';
import { finishedCount, type FleetChild, type FleetEndState, type FleetStatus } from '../common/fleetStatus';
import { hashText } from '../common/hashText';
import { rootMessage } from '../common/rootMessage';
import { runTag } from '../common/runTag';
import { keyWorkflowId, planWorkflowId } from '../common/workflowIds';
import type { RevokeKeyRequest } from '../providers/requests';
import { keyOf } from '../providers/runSubject';
import { decidedGate, Gatekeeper, type GateKind } from './approvals/gatekeeper';
import { FleetRecord } from './fleet/record';
import {
  fleetDecisionSignal,
  fleetReportSignal,
  fleetStatusQuery,
  type FleetDecision,
  type FleetReport,
} from './fleet/messages';
import { revokeFleetInput, type RevokeFleetInput, type RevokeFleetRequest } from './fleet/request';
import { parseInput } from './parseInput';
import { call, routeChanges } from './revoke/call';
import { revokeKey } from './revokeKey';
import { whyStartRefused } from './startSignature';

/** A child waiting for the next wave of its gate's kind. */
interface WaveEntry extends FleetChildPlan {
  kind: string;
}

/** What a fleet hands the run it continues as: everything it knows, nothing it can re-read. */
export interface FleetCarried {
  status: FleetStatus;
  waiting: WaveEntry[];
  /** The approved revoke gate (its list left out: each child's cover is rebuilt from the plans) and its run. */
  revokeApproval?: RevokeApproval;
}

type CoveredGate = GateView & { fleet: FleetCover };

interface RevokeApproval {
  gate: GateView;
  /** The fleet run the votes were cast on (a later run of the fleet has another run id). */
  fleet: RunRef;
}

export async function revokeFleet(rawInput: RevokeFleetInput, carried?: FleetCarried): Promise<FleetStatus> {
  const request = parseInput(revokeFleetInput, rawInput);
  const status = carried?.status ?? firstStatus(request);
  status.runId = workflowInfo().runId;
  const record = new FleetRecord(status);
  const gates = new Gatekeeper(record, request.requester, request.urgency === 'incident');
  const fleet = new Fleet(rawInput, request, record, gates, carried);
  setHandler(fleetStatusQuery, () => status, {
    description: 'The fleet’s whole state: each child’s stage and outcome, counts, the fleet’s gates.',
  });
  setHandler(fleetReportSignal, (report) => fleet.onReport(report), {
    description: 'A child’s report: it waits at a gate, passed it, or ended (from the child, not a person).',
  });
  return fleet.run();
}

function firstStatus(request: RevokeFleetRequest): FleetStatus {
  const { workflowId, runId } = workflowInfo();
  return {
    kind: 'fleet',
    workflowId,
    runId,
    continuedAsNew: 0,
    request: {
      requester: request.requester,
      reason: request.reason,
      changeTicket: request.changeTicket,
      urgency: request.urgency,
      concurrency: request.concurrency,
      planOnly: request.planOnly,
      keys: request.requests.length,
    },
    stage: 'started',
    children: request.requests.map((r, index) => ({
      index,
      workflowId: keyWorkflowId(keyOf(r)),
      provider: r.provider,
      key: keyOf(r),
      stage: 'queued',
    })),
    gates: [],
    tasks: [],
    refusedVotes: [],
    refusedVoteCount: 0,
  };
}

class Fleet {
  private readonly status: FleetStatus;
  private waiting: WaveEntry[];
  private revokeApproval?: RevokeApproval;
  private waveOpen = false;
  /** Each child's leaf and path in the approved revoke list, computed once per run. */
  private revokeCovers?: Map<string, FleetCover>;
  /** Bumped by whatever may let the fleet move on: a report, a child's end, a wave's decision. */
  private changes = 0;

  constructor(
    private readonly rawInput: RevokeFleetInput,
    private readonly request: RevokeFleetRequest,
    private readonly record: FleetRecord,
    private readonly gates: Gatekeeper,
    carried: FleetCarried | undefined,
  ) {
    this.status = record.status;
    this.waiting = carried?.waiting ?? [];
    this.revokeApproval = carried?.revokeApproval;
  }

  async run(): Promise<FleetStatus> {
    const { status } = this;
    if (!status.settings) {
      status.settings = await call('read', 'loadRunSettings', 'read the worker’s settings for this fleet');
      const refused = this.request.planOnly ? undefined : whyStartRefused(this.rawInput, status.settings);
      if (refused) return this.end('refused', `start refused: ${refused}; nothing was started`);
    }
    routeChanges(status.settings.mutatingTaskQueue);
    this.gates.use(status.settings);

    if (status.stage === 'started' || status.stage === 'plan') await this.plan();
    if (!status.plan) return this.end('refused', 'no key could be planned: nothing was started');
    if (this.request.planOnly) return this.end('planned', 'plan only: nothing was changed');
    if (!this.revokeApproval) {
      const ended = await this.approveRevoke();
      if (ended) return ended;
    }
    return this.runChildren();
  }

  // --- Plan: each key's plan-only run, at most `concurrency` at once -------------------------------------

  private async plan(): Promise<void> {
    const { status, request } = this;
    this.record.stage('plan');
    let inFlight = 0;
    const planOne = async (child: FleetChild) => {
      inFlight += 1;
      child.stage = 'planning';
      this.record.draw();
      try {
        const planned = await executeChild(revokeKey, {
          workflowId: planWorkflowId(child.key, `fleet-${runTag(workflowInfo().firstExecutionRunId)}`),
          args: [{ ...this.childRequest(child), planOnly: true }],
        });
        if (planned.endState === 'planned' && planned.plan) {
          child.stage = 'planned';
          child.planHash = planned.plan.hash;
          child.actions = planned.plan.actions ?? [];
        } else this.ended(child, 'refused', planned.endReason ?? 'the plan-only run did not plan');
      } catch (err) {
        this.ended(child, 'refused', `its plan failed: ${rootMessage(err)}`);
      } finally {
        inFlight -= 1;
        this.changes += 1;
      }
    };
    for (;;) {
      const next = status.children.find((c) => c.stage === 'queued');
      if (!next && inFlight === 0) break;
      // Only between plans: a plan-only child is awaited by this run.
      if (inFlight === 0 && this.shouldContinueAsNew()) await this.continueAsNew();
      if (next && inFlight < request.concurrency) {
        void planOne(next);
        continue;
      }
      const seen = this.changes;
      await condition(() => this.changes !== seen);
    }
    const planned = status.children.filter((c) => c.planHash);
    if (!planned.length) return;
    status.plan = {
      // Covers every child's plan hash, and which keys could not be planned and why.
      hash: hashText(
        canonicalJson({
          children: planned.map((c) => ({ workflowId: c.workflowId, planHash: c.planHash })),
          refused: status.children
            .filter((c) => !c.planHash)
            .map((c) => ({ workflowId: c.workflowId, reason: c.reason })),
        }),
      ),
      children: planned.map((c) => ({ workflowId: c.workflowId, planHash: c.planHash! })),
    };
    this.record.stage('planned');
  }

  // --- One signed approval of every child's revoke plan ---------------------------------------------------

  private async approveRevoke(): Promise<FleetStatus | undefined> {
    this.record.stage('approve-revoke');
    const planned = this.planned();
    const { gate, fleet } = await this.gates.fleetGate('revoke', planned);
    if (gate.decision !== 'approved') {
      for (const child of planned) this.notStarted(child, `the fleet's revoke gate ${gate.decision}`);
      return this.end(
        gate.decision === 'rejected' ? 'rejected' : 'expired',
        `revoke gate ${gate.decision}: nothing was changed`,
      );
    }
    this.revokeApproval = { gate: decidedGate(gate), fleet };
    for (const child of planned) child.stage = 'queued';
    return undefined;
  }

  private planned(): (FleetChild & FleetChildPlan)[] {
    return this.status.children.filter(
      (c): c is FleetChild & FleetChildPlan => c.planHash !== undefined && c.actions !== undefined,
    );
  }

  /** Each planned child's cover by the approved revoke gate, rebuilt from the plans the gate lists. */
  private revokeCover(child: FleetChild): CoveredGate {
    const { gate, fleet } = this.revokeApproval!;
    if (!this.revokeCovers) {
      const list = this.planned().map(({ workflowId, planHash, actions }) => ({
        workflowId,
        planHash,
        actions,
      }));
      this.revokeCovers = new Map(fleetCovers(fleet, list).map((cover) => [cover.entry.workflowId, cover]));
    }
    return { ...gate, fleet: this.revokeCovers.get(child.workflowId)! };
  }

  // --- The children's runs ----------------------------------------------------------------------------------

  private async runChildren(): Promise<FleetStatus> {
    const { status, request } = this;
    this.record.stage('running');
    const active = () =>
      status.children.filter((c) => ['running', 'awaiting-approval', 'awaiting-wave'].includes(c.stage))
        .length;
    for (;;) {
      if (finishedCount(status.children) === status.children.length) break;
      if (!this.waveOpen && this.shouldContinueAsNew()) await this.continueAsNew();
      const next = status.children.find((c) => c.stage === 'queued');
      if (next && active() < request.concurrency) {
        await this.startChildRun(next);
        continue;
      }
      if (!this.waveOpen && this.waiting.length) {
        void this.wave();
        continue;
      }
      const seen = this.changes;
      await condition(() => this.changes !== seen || this.shouldContinueAsNew());
    }
    const ends = status.children.map((c) => c.endState);
    const whole = ends.every((e) => e === 'completed' || e === 'archived');
    return this.end(
      whole ? 'completed' : 'partial',
      whole
        ? 'every child ran its runbook to its end'
        : `${ends.filter((e) => e !== 'completed' && e !== 'archived').length} of ${ends.length} child(ren) did not: see each child's end state`,
    );
  }

  private async startChildRun(child: FleetChild): Promise<void> {
    child.stage = 'running';
    this.record.draw();
    try {
      const handle = await startChild(revokeKey, {
        workflowId: child.workflowId,
        args: [
          this.childRequest(child),
          { workflowId: this.status.workflowId, revoke: this.revokeCover(child) },
        ],
        // The fleet continues as new while its children run: they must outlive the run that started them.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `fleet ${this.status.workflowId}: key ${child.index}`,
      });
      child.runId = handle.firstExecutionRunId;
      // The child reports its end by signal (that reaches a later run of the fleet too); in this run its
      // result also tells when it failed without reporting.
      void handle.result().then(
        (ended) =>
          this.ended(child, ended.endState ?? 'failed', ended.endReason ?? '', ended.plan?.hash, false),
        (err) => this.ended(child, 'failed', rootMessage(err), undefined, false),
      );
    } catch (err) {
      // Another run holds the key, or the child could not be started: it never ran, the others go on.
      this.ended(child, 'not-started', `its run could not start: ${rootMessage(err)}`);
    }
  }

  onReport(report: FleetReport): void {
    const child = this.status.children.find((c) => c.workflowId === report.workflowId);
    if (!child || child.stage === 'ended') return;
    if (report.event === 'ended') this.ended(child, report.endState, report.reason, report.planHash);
    else if (report.event === 'past-gate') {
      child.stage = 'running';
      child.waitingFor = undefined;
    } else {
      child.stage = report.own ? 'awaiting-approval' : 'awaiting-wave';
      child.waitingFor = report.kind;
      if (!report.own) {
        this.waiting = this.waiting.filter((w) => w.workflowId !== report.workflowId);
        this.waiting.push({
          kind: report.kind,
          workflowId: report.workflowId,
          planHash: report.planHash,
          actions: report.actions,
        });
      }
    }
    this.changes += 1;
    this.record.draw();
  }

  /**
   * One wave: the children waiting at the same kind of gate right now, approved (or not) together. Those
   * that reach it later wait for the next wave; each listed child is told the decision on its own plan.
   */
  private async wave(): Promise<void> {
    this.waveOpen = true;
    try {
      const kind = this.waiting[0]!.kind as GateKind;
      const listed = this.waiting.filter((w) => w.kind === kind);
      this.waiting = this.waiting.filter((w) => w.kind !== kind);
      const children = listed.map(({ workflowId, planHash, actions }) => ({ workflowId, planHash, actions }));
      const { gate, covered } = await this.gates.fleetGate(kind, children);
      for (const [i, child] of children.entries()) {
        const decision: FleetDecision = {
          kind,
          planHash: child.planHash,
          decision: gate.decision!,
          ...(covered[i] ? { gate: covered[i] } : {}),
        };
        try {
          await getExternalWorkflowHandle(child.workflowId).signal(fleetDecisionSignal, decision);
        } catch (err) {
          log.warn('a child could not be told the wave’s decision', {
            child: child.workflowId,
            error: String(err),
          });
        }
        const known = this.status.children.find((c) => c.workflowId === child.workflowId);
        if (known && known.stage === 'awaiting-wave') {
          known.stage = 'running';
          known.waitingFor = undefined;
        }
      }
    } finally {
      this.waveOpen = false;
      this.changes += 1;
      this.record.draw();
    }
  }

  // --- Bookkeeping ----------------------------------------------------------------------------------------

  private childRequest(child: FleetChild): RevokeKeyRequest {
    return { ...this.request.requests[child.index]!, planOnly: false };
  }

  /** A child's end; a report from the child itself wins over what its result said (it names its state). */
  private ended(
    child: FleetChild,
    endState: NonNullable<FleetChild['endState']>,
    reason: string,
    planHash?: string,
    reported = true,
  ): void {
    if (child.stage === 'ended' && !(reported && child.endState === 'failed')) return;
    child.stage = 'ended';
    child.endState = endState;
    child.reason = reason;
    child.waitingFor = undefined;
    if (planHash) child.endPlanHash = planHash;
    this.waiting = this.waiting.filter((w) => w.workflowId !== child.workflowId);
    this.changes += 1;
    this.record.draw();
  }

  private notStarted(child: FleetChild, reason: string): void {
    child.stage = 'not-started';
    child.endState = 'not-started';
    child.reason = reason;
  }

  private shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    const after = this.request.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (after !== undefined && info.historyLength >= after);
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    this.status.continuedAsNew += 1;
    const carried: FleetCarried = {
      status: this.status,
      waiting: this.waiting,
      ...(this.revokeApproval ? { revokeApproval: this.revokeApproval } : {}),
    };
    return continueAsNew<typeof revokeFleet>(this.rawInput, carried);
  }

  private async end(endState: FleetEndState, reason: string): Promise<FleetStatus> {
    const { status } = this;
    for (const child of status.children)
      if (child.stage === 'queued' || child.stage === 'planned') this.notStarted(child, reason);
    status.endState = endState;
    status.endReason = reason;
    this.record.stage(endState);
    this.record.awaiting([]);
    await call('read', 'recordFleetEvidence', 'write the fleet’s evidence: every child’s outcome', status);
    await condition(allHandlersFinished);
    return status;
  }
}
