// Preflight's judgement of what it read, the part every cloud shares: the projects named, OpenAI's access
// now, every probe readable now. Each finding names the field or the fact, and the fix; each cloud judges
// its own key and OpenAI's access to it (providers/<cloud>/preflight.ts). Pure, so the workflow runs it and
// unit tests pin it.
import type { BlastRadius, ProbeRound, ProjectView, ValidationView } from './openaiViews';

/** What preflight read of OpenAI, on every cloud. */
export interface OpenAiBaseline {
  blastRadius: BlastRadius;
  projects: ProjectView[];
  validate?: ValidationView;
  probes: ProbeRound[];
}

/** The same on every cloud: the projects named, OpenAI's access now, and every probe readable now. */
export function openAiFindings(
  request: { projectIds: string[] },
  baseline: OpenAiBaseline,
  /** What a project's external key would use to be affected, in the cloud's words ("this key or role"). */
  keyAndPrincipal: string,
): string[] {
  const findings: string[] = [];
  const { projects, validate, probes } = baseline;
  for (const id of request.projectIds) {
    const project = projects.find((p) => p.id === id);
    if (!project) {
      findings.push(`projectIds: ${id} was not found in the organisation`);
      continue;
    }
    if (project.status !== 'active')
      findings.push(
        `projectIds: ${id} is ${project.status}; only active projects can be revoked and archived`,
      );
    const affected = baseline.blastRadius.externalKeys.map((k) => k.id);
    if (!project.externalKeyId || !affected.includes(project.externalKeyId))
      findings.push(
        `projectIds: ${id} is bound to ${project.externalKeyId ?? 'no external key'}, which does not use ${keyAndPrincipal}`,
      );
  }
  if (validate && validate.outcome !== 'success')
    findings.push(
      `externalKeyId: validate answers ${validate.outcome} before any change (${validate.why}); the baseline must show OpenAI's access working, or a later failure proves nothing`,
    );
  for (const round of probes) {
    if (!round.control.ok)
      findings.push(
        `probes: the control call for ${round.projectId} failed (${round.control.why}); fix the project's key`,
      );
    for (const probe of round.probes)
      if (probe.outcome !== 'readable')
        findings.push(
          `probes: ${probe.kind} ${probe.id} in ${probe.projectId} is ${probe.outcome} before any change (${probe.why}); every probe must read successfully first, or its later denial proves nothing`,
        );
  }
  return findings;
}
