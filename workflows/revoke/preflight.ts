// Preflight: read the key, the role, OpenAI's registration, every project the key or role serves,
// OpenAI's current access and (when asked) every probe object — the baseline nothing may drift from.
import { ApplicationFailure } from '@temporalio/workflow';
import { EkmError } from '../../common/errors';
import { preflightFindings } from '../../providers/preflightChecks';
import type { RevocationBaseline, RevokeKeyRequest } from '../../providers/requests';
import type { GcpRevocationBaseline, GcpRevokeKeyRequest } from '../../providers/gcp/request';
import type { ProbeRound } from '../../common/openaiViews';
import type { AwsRevocationBaseline, AwsRevokeKeyRequest } from '../../providers/aws/request';
import { call } from './call';

export async function readBaseline(
  request: AwsRevokeKeyRequest,
  withProbes: boolean,
): Promise<AwsRevocationBaseline>;
export async function readBaseline(
  request: GcpRevokeKeyRequest,
  withProbes: boolean,
): Promise<GcpRevocationBaseline>;
export async function readBaseline(
  request: RevokeKeyRequest,
  withProbes: boolean,
): Promise<RevocationBaseline>;
export async function readBaseline(
  request: RevokeKeyRequest,
  withProbes: boolean,
): Promise<RevocationBaseline> {
  if (request.provider === 'gcp') return readGcpBaseline(request, withProbes);
  const key = await call('read', 'describeKey', `describe ${request.keyArn}`, request.keyArn);
  const access = await call(
    'read',
    'snapshotAwsAccess',
    `read the role's trust and policies, the key policy and grants`,
    { keyArn: request.keyArn, roleArn: request.roleArn },
  );
  const externalKey = await readExternalKey(request);
  const blastRadius = await call(
    'read',
    'readBlastRadius',
    'list every OpenAI registration and project on this key or role',
    {
      kmsArn: request.keyArn,
      roleArn: request.roleArn,
    },
  );
  return {
    key: { arn: key.keyId, state: key.state, enabled: key.enabled, manager: key.manager },
    access,
    externalKey,
    blastRadius,
    ...(await readOpenAiSide(request, withProbes)),
  };
}

/** A Cloud KMS key: the key and its primary version, OpenAI's bindings on it and its ring, its registrations. */
async function readGcpBaseline(
  request: GcpRevokeKeyRequest,
  withProbes: boolean,
): Promise<GcpRevocationBaseline> {
  const key = await call('read', 'describeGcpKey', `describe ${request.keyName}`, {
    keyName: request.keyName,
  });
  const access = await call(
    'read',
    'snapshotGcpAccess',
    `read OpenAI's bindings on the key and its ring, the versions and the rotation`,
    { keyName: request.keyName, principal: request.principal },
  );
  const blastRadius = await call(
    'read',
    'readBlastRadius',
    'list every OpenAI registration and project on this key',
    { gcpKeyName: request.keyName },
  );
  // The registration as the blast radius read it carries its GCP fields (the replacement reuses OpenAI's
  // workload identity from it); one the radius did not find is read alone, for preflight to name.
  const registered = blastRadius.externalKeys.find((k) => k.id === request.externalKeyId);
  const externalKey = registered ?? (await readExternalKey(request));
  return {
    provider: 'gcp',
    key: {
      name: key.keyId,
      state: key.state,
      enabled: key.enabled,
      manager: key.manager,
      ...(key.destroyScheduledDurationSeconds !== undefined
        ? { destroyScheduledDurationSeconds: key.destroyScheduledDurationSeconds }
        : {}),
    },
    access,
    externalKey,
    blastRadius,
    ...(await readOpenAiSide(request, withProbes)),
  };
}

function readExternalKey(request: RevokeKeyRequest) {
  return request.externalKeyId
    ? call(
        'read',
        'readExternalKey',
        `read OpenAI external key ${request.externalKeyId}`,
        request.externalKeyId,
      )
    : Promise.resolve(undefined);
}

/** The same on every cloud: the projects named, OpenAI's validate now, and (at first) every probe. */
async function readOpenAiSide(
  request: RevokeKeyRequest,
  withProbes: boolean,
): Promise<Pick<AwsRevocationBaseline, 'projects' | 'validate' | 'probes'>> {
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
  request: Pick<AwsRevokeKeyRequest, 'projectIds' | 'probes'>,
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
