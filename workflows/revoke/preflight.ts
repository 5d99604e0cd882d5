// Preflight: read the key, the role, OpenAI's registration, every project the key or role serves,
// OpenAI's current access and (when asked) every probe object — the baseline nothing may drift from.
import { ApplicationFailure } from '@temporalio/workflow';
import { EkmError } from '../../common/errors';
import { preflightFindings } from '../../providers/preflightChecks';
import type { RevocationBaseline, RevokeKeyRequest } from '../../providers/requests';
import {
  validationView,
  type ProbeRound,
  type ProjectView,
  type ValidationView,
} from '../../common/openaiViews';
import { call } from './call';
import { runsCheaper } from './cheaperRuns';
import { read, readAll } from './together';
import { operationsOf } from '../../providers/operations';

/** The key and its access as the key's cloud reads them, then OpenAI's side: the same on every cloud. */
export async function readBaseline(
  request: RevokeKeyRequest,
  withProbes: boolean,
): Promise<RevocationBaseline> {
  if (runsCheaper()) return readBaselineAtOnce(request, withProbes);
  const cloud = await operationsOf(request).readCloudBaseline(request, withProbes);
  return { ...cloud, ...(await readOpenAiSide(request, withProbes)) } as RevocationBaseline;
}

/** The same reads, independent of one another, made at once in one activity. */
async function readBaselineAtOnce(
  request: RevokeKeyRequest,
  withProbes: boolean,
): Promise<RevocationBaseline> {
  const cloud = operationsOf(request).baselineReads(request);
  const projects = request.projectIds.length ? [read('readProjects', request.projectIds)] : [];
  const validate = request.externalKeyId ? [read('validateExternalKey', request.externalKeyId)] : [];
  const probes = withProbes ? probeReads(request) : [];
  const answers = await readAll(
    'readMany',
    `read the key, its access, OpenAI's registration, projects${validate.length ? ', validate' : ''}${probes.length ? ' and probes' : ''} at once (baseline)`,
    [...cloud.reads, ...projects, ...validate, ...probes],
  );
  const cloudPart = cloud.assemble(answers.slice(0, cloud.reads.length));
  let next = cloud.reads.length;
  const take = (n: number) => answers.slice(next, (next += n));
  const [readProjects] = take(projects.length) as [ProjectView[] | undefined];
  const [answered] = take(validate.length) as [ValidationView | undefined];
  return {
    ...cloudPart,
    projects: readProjects ?? [],
    validate: answered && validationView(answered),
    probes: take(probes.length) as ProbeRound[],
  } as RevocationBaseline;
}

/** The same on every cloud: the projects named, OpenAI's validate now, and (at first) every probe. */
async function readOpenAiSide(
  request: RevokeKeyRequest,
  withProbes: boolean,
): Promise<Pick<RevocationBaseline, 'projects' | 'validate' | 'probes'>> {
  const projects = request.projectIds.length
    ? await call(
        'read',
        'readProjects',
        `read project(s) ${request.projectIds.join(', ')}`,
        request.projectIds,
      )
    : [];
  const validate = request.externalKeyId
    ? await call(
        'answer',
        'validateExternalKey',
        `validate ${request.externalKeyId} (baseline)`,
        request.externalKeyId,
      )
    : undefined;
  const probes: ProbeRound[] = [];
  if (withProbes) for (const round of await probeAll(request, 'baseline')) probes.push(round);
  return {
    projects,
    validate: validate && validationView(validate),
    probes,
  };
}

/** Each project's probes (the projects without probes have none). */
function probesByProject(request: Pick<RevokeKeyRequest, 'projectIds' | 'probes'>) {
  return request.projectIds
    .map((projectId) => ({ projectId, probes: request.probes.filter((p) => p.projectId === projectId) }))
    .filter((p) => p.probes.length);
}

function probeReads(request: Pick<RevokeKeyRequest, 'projectIds' | 'probes'>) {
  return probesByProject(request).map((p) => read('probeProjectData', p));
}

/** One probe round per project that has probes. */
export async function probeAll(
  request: Pick<RevokeKeyRequest, 'projectIds' | 'probes'>,
  when: string,
): Promise<ProbeRound[]> {
  if (runsCheaper()) {
    const byProject = probesByProject(request);
    const reads = byProject.map((p) => read('probeProjectData', p));
    const count = byProject.reduce((n, p) => n + p.probes.length, 0);
    return reads.length
      ? ((await readAll(
          'answer',
          `probe ${count} object(s) of ${reads.length} project(s) at once (${when})`,
          reads,
        )) as ProbeRound[])
      : [];
  }
  const rounds: ProbeRound[] = [];
  for (const projectId of request.projectIds) {
    const probes = request.probes.filter((p) => p.projectId === projectId);
    if (!probes.length) continue;
    rounds.push(
      await call('answer', 'probeProjectData', `probe ${probes.length} object(s) of ${projectId} (${when})`, {
        projectId,
        probes,
      }),
    );
  }
  return rounds;
}

/** Stops the run, changing nothing, when the world does not match the request. */
export function refuseUnlessConsistent(request: RevokeKeyRequest, baseline: RevocationBaseline): void {
  const findings = preflightFindings(request, baseline);
  if (findings.length)
    throw ApplicationFailure.create({
      type: EkmError.PreflightFailed,
      nonRetryable: true,
      message: `preflight refused the run, nothing was changed: ${findings.join('; ')}`,
      details: [findings],
    });
}
