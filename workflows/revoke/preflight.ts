// Preflight: read the key, the role, OpenAI's registration, every project the key or role serves,
// OpenAI's current access and (when asked) every probe object — the baseline nothing may drift from.
import { ApplicationFailure } from '@temporalio/workflow';
import { EkmError } from '../../common/errors';
import { preflightFindings } from '../../providers/preflightChecks';
import type { RevocationBaseline, RevokeKeyRequest } from '../../providers/requests';
import type { ProbeRound } from '../../common/openaiViews';
import { call } from './call';
import { operationsOf } from '../../providers/operations';

/** The key and its access as the key's cloud reads them, then OpenAI's side: the same on every cloud. */
export async function readBaseline(
  request: RevokeKeyRequest,
  withProbes: boolean,
): Promise<RevocationBaseline> {
  const cloud = await operationsOf(request).readCloudBaseline(request, withProbes);
  return { ...cloud, ...(await readOpenAiSide(request, withProbes)) } as RevocationBaseline;
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
    validate: validate && {
      externalKeyId: validate.externalKeyId,
      outcome: validate.outcome,
      why: validate.why,
      httpStatus: validate.httpStatus,
      requestId: validate.requestId,
      answeredAt: validate.answeredAt,
    },
    probes,
  };
}

/** One probe round per project that has probes. */
export async function probeAll(
  request: Pick<RevokeKeyRequest, 'projectIds' | 'probes'>,
  when: string,
): Promise<ProbeRound[]> {
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
