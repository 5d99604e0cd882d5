// What a fleet reports about itself: each child's stage and outcome, counts per stage, its gates. One shape
// for the fleet's status query, its result (the fleet's evidence of every child's outcome) and
// `ekm fleet status`. A fleet's gates sit where a run's do, so `ekm approve` votes on them the same way.
import type { GateView, RefusedVote, TaskView } from './approvals';
import type { PlanActionOf } from './planActions';
import type { EndState, RunSettingsView } from './runStatus';

/** Where a child stands, as its fleet knows it (`ended`: see its `endState`). */
export type ChildStage =
  | 'planning'
  | 'planned'
  | 'queued'
  | 'running'
  | 'awaiting-approval'
  | 'awaiting-wave'
  | 'ended'
  | 'not-started';

export interface FleetChild {
  index: number;
  workflowId: string;
  provider: string;
  key: string;
  stage: ChildStage;
  /** The plan the fleet's revoke gate lists for this child (from its plan-only run). */
  planHash?: string;
  actions?: PlanActionOf[];
  /** The gate the child waits at (`awaiting-approval`: its own; `awaiting-wave`: the fleet's next wave). */
  waitingFor?: string;
  runId?: string;
  /** How the child ended; `failed` when its run failed without an end state, `not-started` when it never ran. */
  endState?: EndState | 'failed' | 'not-started';
  reason?: string;
  /** The plan the child's run ended on (differs from `planHash` when its state drifted). */
  endPlanHash?: string;
}

export type FleetEndState =
  'planned' | 'completed' | 'partial' | 'rejected' | 'expired' | 'refused' | 'cancelled';

export interface FleetStatus {
  kind: 'fleet';
  workflowId: string;
  runId: string;
  /** How many runs the fleet has continued as new into (0: this is its first). */
  continuedAsNew: number;
  request: {
    requester: string;
    reason: string;
    changeTicket: string;
    urgency: string;
    concurrency: number;
    planOnly: boolean;
    keys: number;
  };
  stage: string;
  settings?: RunSettingsView;
  /** One hash over every child's plan hash (and the children whose plan was refused). */
  plan?: { hash: string; children: { workflowId: string; planHash: string }[] };
  children: FleetChild[];
  gates: GateView[];
  openGate?: GateView;
  /** A fleet opens no human task; the field is the run's, so the CLI reads a fleet as it reads a run. */
  tasks: TaskView[];
  openTask?: TaskView;
  refusedVotes: RefusedVote[];
  refusedVoteCount: number;
  endState?: FleetEndState;
  endReason?: string;
}

/** A child's stage for counting: its end state once it ended, `awaiting-wave:archive` while in a wave. */
export function stageOf(child: FleetChild): string {
  if (child.stage === 'ended') return child.endState ?? 'failed';
  if (child.stage === 'awaiting-wave' || child.stage === 'awaiting-approval')
    return `${child.stage}:${child.waitingFor ?? '?'}`;
  return child.stage;
}

/** How many children are at each stage. */
export function countsOf(children: FleetChild[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const child of children) counts[stageOf(child)] = (counts[stageOf(child)] ?? 0) + 1;
  return counts;
}

/** Children whose run is over (or will never start). */
export function finishedCount(children: FleetChild[]): number {
  return children.filter((c) => c.stage === 'ended' || c.stage === 'not-started').length;
}
