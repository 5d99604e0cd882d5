// What a fleet and its children tell each other, and the fleet's status query. A child reports to its fleet
// when it waits at a gate, passes it, and ends; the fleet answers a child waiting for a wave with the wave's
// decision. Defined once for both workflows and the CLI.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GateDecision, GateView } from '../../common/approvals';
import type { EndState } from '../../common/runStatus';
import type { PlanActionOf } from '../../common/planActions';
import type { FleetCover } from '../../common/fleetApproval';
import type { FleetStatus } from '../../common/fleetStatus';

/** What a child of a fleet is handed at its start: the fleet, and its revoke approval when it has one. */
export interface FleetMembership {
  workflowId: string;
  /** The fleet's approved revoke gate as this child holds it (its own leaf and path). */
  revoke?: GateView & { fleet: FleetCover };
}

export type FleetReport =
  | {
      event: 'at-gate';
      workflowId: string;
      kind: string;
      planHash: string;
      actions: PlanActionOf[];
      /** The child opened its own gate (its plan drifted from the fleet's); else it waits for a wave. */
      own: boolean;
    }
  | { event: 'past-gate'; workflowId: string; kind: string; decision: GateDecision }
  | {
      event: 'ended';
      workflowId: string;
      runId: string;
      endState: EndState;
      reason: string;
      planHash?: string;
    };

/** A child → its fleet. */
export const fleetReportSignal = defineSignal<[FleetReport]>('fleet-report');

/** The fleet → a child waiting for a wave: the wave's decision on the plan the child reported. */
export interface FleetDecision {
  kind: string;
  planHash: string;
  decision: GateDecision;
  gate?: GateView & { fleet: FleetCover };
}
export const fleetDecisionSignal = defineSignal<[FleetDecision]>('fleet-decision');

/** The same query name as a run's (`status`), so `ekm approve` and `ekm status` ask a fleet the same way. */
export const fleetStatusQuery = defineQuery<FleetStatus>('status');
