// The fleet's own account: its status (children, counts, gates), kept current in the Web UI's details and
// in the search attributes `ekm list` filters on (the fleet's stage, what it waits for from a person).
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { countsOf, finishedCount, type FleetStatus } from '../../common/fleetStatus';
import { EkmAwaiting, EkmStage } from '../../common/searchAttributes';
import type { GateRecord } from '../approvals/gatekeeper';

export class FleetRecord implements GateRecord {
  constructor(readonly status: FleetStatus) {
    this.stage(status.stage);
  }

  stage(stage: string): void {
    this.status.stage = stage;
    upsertSearchAttributes([{ key: EkmStage, value: stage }]);
    this.draw();
  }

  awaiting(what: string[]): void {
    upsertSearchAttributes([{ key: EkmAwaiting, value: what }]);
    this.draw();
  }

  /** The Web UI's details: the fleet's stage, a bar, and how many children are at each stage. */
  draw(): void {
    const s = this.status;
    const done = finishedCount(s.children);
    const width = 20;
    const filled = s.children.length ? Math.round((done / s.children.length) * width) : 0;
    const lines = [
      `**Fleet of ${s.children.length} key(s)** — ${s.request.changeTicket}, asked by ${s.request.requester}`,
      `stage: **${s.stage}**${s.endState ? ` — ended **${s.endState}**` : ''}`,
      `\`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]\` ${done}/${s.children.length} finished`,
      '',
      ...Object.entries(countsOf(s.children)).map(([stage, n]) => `- ${stage}: ${n}`),
    ];
    if (s.openGate)
      lines.push(
        '',
        `✋ gate \`${s.openGate.gateId}\` open for ${s.openGate.children?.length ?? 0} child plan(s), hash \`${s.openGate.planHash.slice(0, 12)}…\` until ${s.openGate.deadline}`,
      );
    setCurrentDetails(lines.join('\n'));
  }
}
