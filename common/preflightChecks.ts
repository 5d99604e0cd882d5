// Preflight's judgement of what it read: is the world the way the request says, and is there something
// to revoke and to prove? Each finding names the field or the fact, and the fix. Pure, so the workflow
// runs it and unit tests pin it.
import type { RevocationBaseline, RevokeKeyRequest } from '../providers/requests';
import type { GcpRevocationBaseline, GcpRevokeKeyRequest } from '../providers/gcp/request';
import type { AwsRevocationBaseline, AwsRevokeKeyRequest } from '../providers/aws/request';

export function preflightFindings(request: AwsRevokeKeyRequest, baseline: AwsRevocationBaseline): string[];
export function preflightFindings(request: GcpRevokeKeyRequest, baseline: GcpRevocationBaseline): string[];
export function preflightFindings(request: RevokeKeyRequest, baseline: RevocationBaseline): string[];
export function preflightFindings(request: RevokeKeyRequest, baseline: RevocationBaseline): string[] {
  const findings =
    request.provider === 'gcp'
      ? 'provider' in baseline
        ? gcpKeyFindings(request, baseline)
        : ['provider: the run read an AWS key for a Google Cloud request']
      : 'provider' in baseline
        ? ['provider: the run read a Google Cloud key for an AWS request']
        : awsKeyFindings(request, baseline);
  return [...findings, ...openAiFindings(request, baseline)];
}

function awsKeyFindings(request: AwsRevokeKeyRequest, baseline: AwsRevocationBaseline): string[] {
  const findings: string[] = [];
  const { key, externalKey } = baseline;
  if (key.arn !== request.keyArn) findings.push(`keyArn: AWS answers for ${key.arn}, not ${request.keyArn}`);
  if (key.manager !== 'CUSTOMER')
    findings.push(
      `keyArn: ${request.keyArn} is ${key.manager}-managed; OpenAI EKM uses customer-managed keys`,
    );
  if (!key.enabled)
    findings.push(
      `keyArn: the key is ${key.state}: OpenAI already cannot use it; there is nothing to revoke (use \`ekm key inspect\`)`,
    );
  if (baseline.access.role.arn !== request.roleArn)
    findings.push(`roleArn: IAM answers for ${baseline.access.role.arn}, not ${request.roleArn}`);
  if (externalKey) {
    const kms = externalKey.kmsArn ?? '';
    const sameKey = kms === request.keyArn || kms.includes(':alias/');
    if (!sameKey)
      findings.push(`externalKeyId: ${externalKey.id} is registered for ${kms}, not for ${request.keyArn}`);
    if (externalKey.roleArn && externalKey.roleArn !== request.roleArn)
      findings.push(
        `roleArn: ${externalKey.id} is registered with role ${externalKey.roleArn}; give that role (or check the external key id)`,
      );
  }
  return findings;
}

function gcpKeyFindings(request: GcpRevokeKeyRequest, baseline: GcpRevocationBaseline): string[] {
  const findings: string[] = [];
  const { key, access, externalKey } = baseline;
  if (key.name !== request.keyName)
    findings.push(`keyName: Cloud KMS answers for ${key.name}, not ${request.keyName}`);
  if (!key.enabled)
    findings.push(
      `keyName: the key's primary version is ${key.state}: OpenAI already cannot encrypt with it; there is nothing to revoke (use \`ekm key inspect\`)`,
    );
  if (!access.bindings.length)
    findings.push(
      `principal: no binding on ${request.keyName} or its key ring takes in ${request.principal}; OpenAI does not reach the key through it — check the principal against the key's IAM policy`,
    );
  if (externalKey) {
    if (externalKey.type !== 'gcp')
      findings.push(
        `externalKeyId: ${externalKey.id} is a ${externalKey.type} registration, not a Google Cloud one`,
      );
    else if (!baseline.blastRadius.externalKeys.some((k) => k.id === externalKey.id))
      findings.push(
        `externalKeyId: ${externalKey.id} is registered for ${externalKey.gcp?.keyName ?? 'another key'}, not for ${request.keyName}`,
      );
  }
  return findings;
}

/** The same on every cloud: the projects named, OpenAI's access now, and every probe readable now. */
function openAiFindings(request: RevokeKeyRequest, baseline: RevocationBaseline): string[] {
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
        `projectIds: ${id} is bound to ${project.externalKeyId ?? 'no external key'}, which does not use this key${request.provider === 'aws' ? ' or role' : ''}`,
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
