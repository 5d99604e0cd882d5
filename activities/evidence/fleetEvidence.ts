// The fleet's evidence: every child's outcome — its workflow id, the plan the fleet approved for it, the
// plan it ended on, its end state and why — beside the fleet's plan hash and gates, written under the
// fleet's own run (fleet.json for machines, fleet.md for people). Each child writes its own signed
// evidence chain; the fleet's signed record (fleet.sig.json, common/fleetRecord.ts) binds fleet.json to
// the head of each of those chains. Idempotent: every byte follows from the status and the children's
// write-once chains, and Ed25519 signatures are deterministic, so a retry writes the same files.
import type { FleetStatus } from '../../common/fleetStatus';
import { countsOf } from '../../common/fleetStatus';
import { canonicalJson } from '../../common/canonicalJson';
import { chainFile, type EvidenceChain } from '../../common/evidenceChain';
import {
  fleetRecordFile,
  fleetRecordFormat,
  fleetRecordStatement,
  fleetStatusFile,
  type FleetRecord,
} from '../../common/fleetRecord';
import { sha256Hex } from './chain';
import { ownRun } from './ownRun';
import type { EvidenceStore } from './store';

/** The head hash of a stored chain: the one its signature covers, else its last record's. */
export function chainHeadOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  const chain = JSON.parse(text) as EvidenceChain;
  return chain.signature?.headHash ?? chain.records.at(-1)?.hash ?? null;
}

export function fleetEvidenceActivities(store: EvidenceStore) {
  return {
    async recordFleetEvidence(
      fleet: FleetStatus,
    ): Promise<{ json: string; markdown: string; record: string; signed: boolean }> {
      ownRun('recordFleetEvidence', ['revokeFleet'], { workflowId: fleet.workflowId, runId: fleet.runId });
      const json = `${JSON.stringify(fleet, null, 2)}\n`;
      const children = [];
      for (const c of fleet.children)
        if (c.runId)
          children.push({
            workflowId: c.workflowId,
            runId: c.runId,
            chainHead: chainHeadOf(await store.read(c.workflowId, c.runId, chainFile)),
          });
      const statement = fleetRecordStatement({
        format: fleetRecordFormat,
        workflowId: fleet.workflowId,
        runId: fleet.runId,
        fleetJsonSha256: sha256Hex(json),
        children,
      });
      const signer = store.signer;
      const record: FleetRecord = {
        ...statement,
        signature: signer
          ? {
              algorithm: 'Ed25519',
              fingerprint: signer.fingerprint,
              value: signer.sign(canonicalJson(statement)),
            }
          : null,
      };
      // The signed record first: fleet.json is what readers look for, so it never exists without it.
      const recordPath = await store.write(
        fleet.workflowId,
        fleet.runId,
        fleetRecordFile,
        `${JSON.stringify(record, null, 2)}\n`,
      );
      const jsonPath = await store.write(fleet.workflowId, fleet.runId, fleetStatusFile, json);
      const markdown = await store.write(fleet.workflowId, fleet.runId, 'fleet.md', fleetMarkdown(fleet));
      return { json: jsonPath, markdown, record: recordPath, signed: record.signature !== null };
    },
  };
}

export function fleetMarkdown(fleet: FleetStatus): string {
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
