// The run's record as an auditor reads it: what was asked, by whom, what was approved, what changed,
// what OpenAI answered, and how the run ended. Pure, so the worker's evidence writer and the `ekm evidence`
// command (which renders a running run from its status query) print the same record.
import type { AccessProof } from '../common/rotationRequest';
import type { KeyRotationState } from './rotateRequests';
import { describeAction } from './planActions';
import type { RunStatus, UsageRead } from './runStatus';
import { runHeadline, keyOf, principalOf, type RunSubject } from './runSubject';
import { specOf } from '.';

function trailLine(read: UsageRead): string {
  const u = read.report;
  if (!u) return `could not be read: ${read.error ?? 'unknown'}`;
  const codes = Object.entries(u.refusedByCode).map(([code, n]) => `${code} ×${n}`);
  return `${u.since} → ${u.until}: ${u.successful} successful, ${u.refused} refused${codes.length ? ` (${codes.join(', ')})` : ''}; last successful use ${u.lastSuccessfulUse ?? 'none'}`;
}

function usageSection(usage: NonNullable<RunStatus<RunSubject>['usage']>, r: RunSubject): string[] {
  const lines = ['', `## Audit trail (${specOf(r).trailEvidenceHeading})`, ''];
  if (usage.window) {
    lines.push(`- Window: ${trailLine(usage.window)}`);
    const v = usage.window.validation;
    if (v)
      lines.push(
        `- Validate ${v.externalKeyId}: **${v.outcome}** (${v.why}; ${v.requestId ?? 'no request id'})`,
      );
    else if (usage.window.validationError)
      lines.push(`- Validate could not be asked: ${usage.window.validationError}`);
  }
  if (usage.before) lines.push(`- Before the revocation: ${trailLine(usage.before)}`);
  const after = usage.after;
  if (after) {
    lines.push(
      `- After the cache wait: ${trailLine(after)}`,
      `  - revoked at ${after.revokedAt}; effective (after the propagation grace) from ${after.effectiveFrom}`,
      `  - successful uses after that: **${after.lateUses.length}**${after.graceUses ? `; within the grace: ${after.graceUses}` : ''}`,
      ...after.lateUses.map((e) => `  - ${e.eventTime} ${e.eventName} (event ${e.eventId})`),
    );
  }
  const reads = [usage.window, usage.before, after];
  for (const caveat of reads.flatMap((r) => r?.report?.caveats ?? [])) lines.push(`- Note: ${caveat}`);
  return lines;
}

function rotationSection(rotation: NonNullable<RunStatus['rotation']>): string[] {
  const lines = ['', '## Rotation', ''];
  const state = (s: KeyRotationState) =>
    `automatic ${s.automatic ? `on${s.periodDays ? `, every ${s.periodDays} days` : ''}${s.nextRotationDate ? `, next ${s.nextRotationDate}` : ''}` : 'off'}; ${s.rotations.length} rotation(s) listed${s.rotations[0] ? `, newest ${s.rotations[0].date} (${s.rotations[0].type})` : ''}`;
  if (rotation.before) lines.push(`- Before: ${state(rotation.before)}`);
  if (rotation.change)
    lines.push(`- Change: ${rotation.change.description}`, `- After: ${state(rotation.change.after)}`);
  const proof = (p: AccessProof) => {
    const probes = p.probes.flatMap((r) => r.probes.map((x) => x.outcome));
    return `validate ${p.validate ? `**${p.validate.outcome}** (${p.validate.requestId ?? 'no request id'})` : 'not asked'}; probes ${probes.length ? probes.join(', ') : 'none'}`;
  };
  if (rotation.accessBefore) lines.push(`- OpenAI before: ${proof(rotation.accessBefore)}`);
  if (rotation.accessAfter) lines.push(`- OpenAI after the cache wait: ${proof(rotation.accessAfter)}`);
  return lines;
}

/** Who OpenAI is at the key: the role it assumes (AWS), its IAM principal (Google Cloud). */
function openAiAtTheKey(r: RunSubject): string {
  return `${specOf(r).principalKind}: ${principalOf(r)}`;
}

export function evidenceMarkdown(run: RunStatus<RunSubject>): string {
  const r = run.request;
  const title = run.restores
    ? 'EKM access restore'
    : r.rotation
      ? 'EKM key rotation'
      : r.check
        ? 'EKM key usage check'
        : 'EKM key revocation';
  const lines = [
    `# ${title} — ${keyOf(r)}`,
    '',
    `- Workflow: \`${run.workflowId}\`, run \`${run.runId}\``,
    ...(run.restores
      ? [`- Restores the revocation \`${run.restores.workflowId}\`, run \`${run.restores.runId}\``]
      : []),
    `- Requested by ${r.requester} — change ticket ${r.changeTicket}${r.urgency ? ` — ${r.urgency}` : ''}`,
    `- Reason: ${r.reason}`,
    r.method
      ? `- Product: ${r.product ?? 'api'}; method: **${r.method}**; ${openAiAtTheKey(r)}`
      : `- **${runHeadline(r)}**; ${openAiAtTheKey(r)}`,
    `- Mode: ${run.settings?.mode ?? 'unknown'}; OpenAI: ${run.settings?.openAiBaseUrl ?? 'unknown'}`,
    // Whoever reads the votes below must know which keys no longer counted, and from when.
    ...(run.settings?.approvals.revokedKeys ?? []).map(
      (r) =>
        `- Revoked approver key \`${r.key}\` from ${r.from} (${r.reason}): acts signed with it are refused from then`,
    ),
    `- End state: **${run.endState ?? 'running'}**${run.endReason ? ` — ${run.endReason}` : ''}`,
  ];
  if (run.accessSnapshot)
    lines.push(
      `- Access snapshot kept for \`ekm restore\`: ${run.accessSnapshot.file}, \`${run.accessSnapshot.sha256}\` (in the signed chain)`,
    );
  if (run.cacheWait)
    lines.push(
      `- Cache wait: ${run.cacheWait.seconds} s, from ${run.cacheWait.startedAt} to ${run.cacheWait.endedAt ?? '(not finished)'}`,
    );
  if (run.usage) lines.push(...usageSection(run.usage, r));
  if (run.rotation) lines.push(...rotationSection(run.rotation));
  if (run.plan) {
    lines.push('', `## Plan \`${run.plan.hash}\``, '', ...run.plan.changes.map((c) => `1. ${c}`));
    if (run.plan.snapshot)
      lines.push(
        '',
        `**Snapshot applied:** \`${run.plan.snapshot.sha256}\` of ${run.plan.snapshot.workflowId} run ${run.plan.snapshot.runId}, verified against the revocation’s signed evidence`,
      );
    for (const d of run.plan.diff ?? [])
      lines.push('', `**Diff:** ${d.document}`, '', '```diff', ...d.lines, '```');
    if (run.plan.alsoStops.length)
      lines.push('', '**Also stops:**', ...run.plan.alsoStops.map((s) => `- ${s}`));
    if (run.plan.warnings.length) lines.push('', '**Warnings:**', ...run.plan.warnings.map((w) => `- ${w}`));
  }
  lines.push('', '## Approvals', '');
  if (!run.gates.length) lines.push('No gate was opened.');
  for (const gate of run.gates) {
    lines.push(
      `- Gate \`${gate.gateId}\` (${gate.kind}${gate.breakGlass ? ', break-glass' : ''}) for plan \`${gate.planHash.slice(0, 16)}…\`: **${gate.decision ?? 'open'}**${gate.decidedAt ? ` at ${gate.decidedAt}` : ''}`,
    );
    // What the gate's hash covers: the actions its approvals authorise, each change checked against them.
    for (const a of gate.actions ?? []) lines.push(`  - authorises: ${describeAction(a)}`);
    for (const v of gate.votes)
      lines.push(
        `  - ${v.decision} by ${v.approver} at ${v.at} (${v.via}, ${v.authenticated ? 'signature verified' : v.authenticated === false ? 'unsigned: a sandbox took the name on trust' : 'unauthenticated name'})${v.comment ? `: ${v.comment}` : ''}`,
      );
  }
  if (run.refusedVoteCount)
    lines.push(
      `- ${run.refusedVoteCount} vote(s) refused${run.refusedVotes.length ? ':' : ''}`,
      ...run.refusedVotes.map((v) => `  - ${v.approver} on ${v.gateId} at ${v.at}: ${v.why}`),
    );
  if (run.tasks.length) {
    lines.push('', '## Human tasks', '');
    for (const t of run.tasks)
      lines.push(
        `- \`${t.taskId}\` ${t.asks} → ${t.answer ? `**${t.answer.outcome}** by ${t.answer.by} at ${t.answer.at ?? t.answer.recordedAt}${t.answer.ticketReference ? `, ticket ${t.answer.ticketReference}` : ''}` : t.expired ? 'expired' : 'open'}`,
      );
  }
  if (run.stops?.length) {
    // Where a name the run gives was taken by something it could not prove it made: what it found, and
    // what a person decided.
    lines.push('', '## Stops for a person', '');
    for (const stop of run.stops) {
      lines.push(
        `- \`${stop.stopId}\` at the ${stop.step} (${stop.name}), stop hash \`${stop.stopHash.slice(0, 16)}…\`: ${stop.why} → **${stop.decision ?? 'open'}**${stop.decidedAt ? ` at ${stop.decidedAt}` : ''}`,
        ...stop.candidates.map((c) => `  - found ${c.id}: ${c.description}`),
      );
      for (const v of stop.votes)
        lines.push(
          `  - ${v.choice}${v.resource ? ` ${v.resource}` : ''} by ${v.approver} at ${v.at} (${v.authenticated ? 'signature verified' : v.authenticated === false ? 'unsigned: a sandbox took the name on trust' : 'unauthenticated name'})${v.comment ? `: ${v.comment}` : ''}`,
        );
    }
  }
  lines.push('', '## Steps', '');
  for (const s of run.steps)
    lines.push(
      `- [${s.state === 'done' ? 'x' : ' '}] ${s.title} — ${s.state}${s.summary ? `: ${s.summary}` : ''}`,
    );
  if (run.deletionWatch)
    lines.push(
      '',
      `Deletion watch: \`${run.deletionWatch.workflowId}\`${run.deletionWatch.runId ? ` run \`${run.deletionWatch.runId}\`` : ''} — ${run.deletionWatch.note}`,
    );
  if (run.replacement) {
    lines.push('', '## Replacement', '');
    for (const [k, v] of Object.entries(run.replacement)) if (v) lines.push(`- ${k}: ${v}`);
  }
  return `${lines.join('\n')}\n`;
}
