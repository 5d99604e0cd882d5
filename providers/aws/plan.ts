// The plans on AWS, in AWS's words: what each revocation method changes on the key, the role and its
// grants and what else that stops, and what a rotation asks of KMS. Pure: activities/planRevocation.ts
// and planRotation.ts add the steps every cloud shares and hash the plan.
import { refusePlan, refuseUnlistedProjects } from '../../common/planRefusals';
import type { RevocationBaseline } from '../requests';
import type { KeyRotationState } from '../rotateRequests';
import type { RevocationPlanWords, RotationPlanWords } from '../planWords';
import type { AwsRevokeKeyRequest } from './request';
import type { AwsRotateKeyRequest } from './rotateRequest';
import { allowsKeyUse, parsePolicy } from './activities/policyEdits';

export function planAwsRevocation(
  request: AwsRevokeKeyRequest,
  baseline: RevocationBaseline,
): RevocationPlanWords {
  if ('provider' in baseline) refusePlan('provider: a Google Cloud baseline was read for an AWS request');
  const { access } = baseline;
  const role = request.roleArn;
  const key = request.keyArn;
  const warnings: string[] = [];
  const alsoStops: string[] = [];
  const changes: string[] = [];

  refuseUnlistedProjects(request, baseline, 'this key or role');
  const otherRegistrations = baseline.blastRadius.externalKeys.filter((k) => k.id !== request.externalKeyId);
  if (otherRegistrations.length)
    warnings.push(
      `other external keys share this key or role and stop working too: ${otherRegistrations.map((k) => k.id).join(', ')}`,
    );
  if (baseline.externalKey?.kmsArn?.includes(':alias/'))
    warnings.push(
      `the external key is registered by alias (${baseline.externalKey.kmsArn}): switching that alias's target would also revoke; OpenAI recommends key ARNs`,
    );

  switch (request.method) {
    case 'remove-trust':
      changes.push(
        `IAM UpdateAssumeRolePolicy on ${role}: replace the statement(s) that let OpenAI assume the role with an explicit Deny`,
      );
      warnings.push(
        'sessions OpenAI already holds on the role stay valid until they expire (up to the role’s maximum session duration, 1–12 h); validate and probes after the wait show whether they are still used',
      );
      alsoStops.push(
        `OpenAI's use of every key the role serves${access.otherKeysTheRoleCanUse.length ? `: ${access.otherKeysTheRoleCanUse.join(', ')}` : ' (no other key found in its inline policies)'}`,
      );
      break;
    case 'remove-key-permission': {
      const inline = access.role.inlinePolicies.filter(
        (p) => allowsKeyUse(parsePolicy(p.document), key).length,
      );
      if (!inline.length)
        refusePlan(
          `method: the role's inline policies do not grant kms:Encrypt/kms:Decrypt on ${key}${access.role.attachedPolicies.length ? ` (attached managed policies: ${access.role.attachedPolicies.map((p) => p.name).join(', ')} — editing those would affect other roles)` : ''}; choose key-policy-deny or remove-trust`,
        );
      changes.push(
        `IAM on ${role}: remove kms:Encrypt and kms:Decrypt on ${key} from inline policies ${inline.map((p) => p.name).join(', ')}`,
      );
      alsoStops.push(`every other user of role ${role} loses kms:Encrypt/Decrypt on this key`);
      break;
    }
    case 'key-policy-deny':
      changes.push(
        `KMS PutKeyPolicy on ${key}: add a Deny of kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:ReEncrypt* for ${role}`,
      );
      alsoStops.push(`every session of role ${role} on this key, not only OpenAI's`);
      break;
    case 'revoke-grant':
      if (!access.grants.length)
        refusePlan(`method: no grant on ${key} names ${role} as grantee; choose another method`);
      changes.push(`KMS RevokeGrant on ${key}: ${access.grants.map((g) => g.grantId).join(', ')}`);
      alsoStops.push(`only the grants listed (their grantee is ${role})`);
      break;
    case 'disable-key':
      changes.push(`KMS DisableKey ${key}`);
      alsoStops.push(
        `EVERY consumer of the key, not only OpenAI${access.otherKeyPrincipals.length ? `: ${access.otherKeyPrincipals.join(', ')}` : ''}; all data encrypted under it anywhere becomes unreadable while it is disabled`,
      );
      break;
  }
  return {
    changes,
    alsoStops,
    warnings,
    keySteps: {
      replacement:
        'create a replacement KMS key and role for OpenAI, register it as an external key, create a project bound to it, validate it',
      workspaceReplacement: 'create a replacement KMS key and role for OpenAI, for the new workspace',
      deletion: `third approval gate, then schedule deletion of ${key} in ${request.deleteAfterDays} days`,
    },
  };
}

/** AWS KMS rotates on demand, or turns on automatic rotation with a period. */
export function planAwsRotation(request: AwsRotateKeyRequest, before: KeyRotationState): RotationPlanWords {
  const r = request.rotation;
  const warnings: string[] = [];
  const key = request.keyArn;
  const onDemand = before.rotations.filter((x) => x.type === 'ON_DEMAND').length;
  const change =
    r.kind === 'now'
      ? `KMS RotateKeyOnDemand on ${key} (${onDemand} on-demand rotation(s) listed so far)`
      : `KMS EnableKeyRotation on ${key}, every ${r.periodDays} days (now: ${before.automatic ? `on, every ${before.periodDays ?? '?'} days` : 'off'})`;
  if (r.kind === 'now')
    warnings.push(
      'KMS limits how many on-demand rotations a key may have; automatic rotation (a period) has no such limit',
    );
  if (r.kind === 'automatic' && before.automatic && before.periodDays === r.periodDays)
    warnings.push(`automatic rotation is already on every ${r.periodDays} days: the run changes nothing`);
  return {
    change,
    warnings,
    dependsOn: { automatic: before.automatic, periodDays: before.periodDays ?? null, onDemand },
  };
}
