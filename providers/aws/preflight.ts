// Preflight's judgement of what it read of an AWS key, its role and OpenAI's registration of it. Pure.
import type { AwsRevokeKeyRequest } from './request';
import type { RevocationBaseline } from '../requests';

/** Preflight on AWS: the key and the role are the ones the request names, and OpenAI's registration agrees. */
export function awsKeyFindings(request: AwsRevokeKeyRequest, baseline: RevocationBaseline): string[] {
  if ('provider' in baseline) return ['provider: the run read a Google Cloud key for an AWS request'];
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
