// The fleet's evidence: every child's outcome — its workflow id, the plan the fleet approved for it, the
// plan it ended on, its end state and why — beside the fleet's plan hash and gates, written under the
// fleet's own run (fleet.json for machines, fleet.md for people). Each child writes its own signed
// evidence record; this one says which runs made up the fleet and how each ended.
import type { FleetStatus } from '../../common/fleetStatus';
import { countsOf } from '../../common/fleetStatus';
import { ownRun } from './ownRun';
import type { EvidenceStore } from './store';

export function fleetEvidenceActivities(store: EvidenceStore) {
  return {
    async recordFleetEvidence(fleet: FleetStatus): Promise<{ json: string; markdown: string }> {
      ownRun('recordFleetEvidence', ['revokeFleet'], { workflowId: fleet.workflowId, runId: fleet.runId });
      const json = await store.write(
        fleet.workflowId,
        fleet.runId,
        'fleet.json',
        `${JSON.stringify(fleet, null, 2)}\n`,
      );
      const markdown = await store.write(fleet.workflowId, fleet.runId, 'fleet.md', fleetMarkdown(fleet));
      return { json, markdown };
    },
  };
}

function fleetMarkdown(fleet: FleetStatus): string {
  const counts = Object.entries(countsOf(fleet.children))
    .map(([stage, n]) => `${stage} ${n}`)
    .join(', ');
  return [
    `# Fleet ${fleet.workflowId}`,
    '',
    `- asked by ${fleet.request.requester}, ${fleet.request.changeTicket}: ${fleet.request.reason}`,
    `- ended **${fleet.endState ?? 'running'}**${fleet.endReason ? `: ${fleet.endReason}` : ''}`,
    `- fleet plan ${fleet.plan?.hash ?? '(none)'}; ${fleet.children.length} key(s): ${counts}`,
    '',
    '| # | child run | key | approved plan | ended on plan | end state | why |',
    '| - | --------- | --- | ------------- | ------------- | --------- | --- |',
    ...fleet.children.map(
      (c) =>
        `| ${c.index} | ${c.workflowId} ${c.runId ?? ''} | ${c.key} | ${c.planHash ?? ''} | ${c.endPlanHash ?? ''} | ${c.endState ?? c.stage} | ${(c.reason ?? '').replace(/\|/g, '\\|')} |`,
    ),
    '',
    '## Gates',
    '',
    ...fleet.gates.map(
      (g) =>
        `- ${g.gateId} (${g.kind}) ${g.decision ?? 'open'} — hash ${g.planHash}, covers ${g.children?.map((c) => c.workflowId).join(', ') ?? ''}; votes: ${g.votes.map((v) => `${v.decision} by ${v.approver}${v.authenticated === false ? ' (unsigned)' : ''}`).join(', ')}`,
    ),
    '',
  ].join('\n');
}
