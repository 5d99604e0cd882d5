// Preflight's judgement of what it read of a Cloud KMS key, OpenAI's bindings and its registration. Pure.
import type { GcpRevokeKeyRequest } from './request';
import type { RevocationBaseline } from '../requests';

/** Preflight on Google Cloud: the key is the one named, a binding takes OpenAI in, the registration agrees. */
export function gcpKeyFindings(request: GcpRevokeKeyRequest, baseline: RevocationBaseline): string[] {
  if (!('provider' in baseline)) return ['provider: the run read an AWS key for a Google Cloud request'];
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
