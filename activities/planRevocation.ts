// The plan: the exact changes a revocation will make, what else they stop, and a hash over the request,
// the baseline it was made from and the worker's settings. Approvals are bound to that hash, so a vote
// for one plan can never approve another, and drift in the world shows up as a new hash.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../common/errors';
import type { RevocationBaseline, RevokeKeyRequest } from '../common/revoke';
import type { RevocationPlan, RunSettingsView } from '../common/runStatus';
import { allowsKeyUse, parsePolicy } from './aws/policyEdits';
import { canonicalJson } from '../common/canonicalJson';

export interface PlanRequest {
  request: RevokeKeyRequest;
  baseline: RevocationBaseline;
  settings: RunSettingsView;
}

/** The parts of the baseline that must not move between approval and action (answers' ids and times may). */
export function baselineDigest(baseline: RevocationBaseline): string {
  const { takenAt: _taken, ...access } = baseline.access;
  void _taken;
  return sha256(
    canonicalJson({
      key: baseline.key,
      access,
      externalKey: baseline.externalKey,
      // The order OpenAI lists things in is not state: sorted, a re-read in another order is no drift.
      blastRadius: {
        externalKeys: [...baseline.blastRadius.externalKeys].sort(byId),
        projects: [...baseline.blastRadius.projects].sort(byId),
      },
      projects: baseline.projects,
      validate: baseline.validate?.outcome,
    }),
  );
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: EkmError.PreflightFailed, message, nonRetryable: true });
}

export async function planRevocation({ request, baseline, settings }: PlanRequest): Promise<RevocationPlan> {
  const { access } = baseline;
  const role = request.roleArn;
  const key = request.keyArn;
  const warnings: string[] = [];
  const alsoStops: string[] = [];
  const changes: string[] = [];

  const unlisted = baseline.blastRadius.projects.filter((p) => !request.projectIds.includes(p.id));
  if (unlisted.length)
    refuse(
      `projectIds: ${unlisted.map((p) => `${p.id} (${p.name})`).join(', ')} also use this key or role and would lose access too; add them to the run (every affected project is archived) or choose another key`,
    );
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
        refuse(
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
        refuse(`method: no grant on ${key} names ${role} as grantee; choose another method`);
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
  if (request.externalKeyId)
    changes.push(
      `OpenAI validate ${request.externalKeyId} until ${settings.validateConfirmations} answers in a row say revoked`,
    );
  changes.push(`wait ${settings.cacheWaitSeconds} s for OpenAI's key cache (durable timer)`);
  if (request.probes.length)
    changes.push(
      `probe ${request.probes.length} object(s) with each project's own key: every one must be denied while a control call succeeds`,
    );
  else changes.push('a person attests that the ChatGPT Enterprise workspace no longer opens previous data');
  changes.push('second approval gate, then a fresh check that access is still revoked');
  if (request.product === 'api') {
    changes.push(`archive OpenAI project(s) ${request.projectIds.join(', ')} (irreversible)`);
    if (request.replace)
      changes.push(
        'create a replacement KMS key and role for OpenAI, register it as an external key, create a project bound to it, validate it',
      );
  } else {
    changes.push(
      `a person contacts OpenAI support about workspace ${request.workspaceId} (ticket reference recorded)`,
    );
    if (request.replace)
      changes.push('create a replacement KMS key and role for OpenAI, for the new workspace');
  }
  if (request.deleteAfterDays)
    changes.push(`third approval gate, then schedule deletion of ${key} in ${request.deleteAfterDays} days`);

  // A plan-only run shows the hash the real run's approvers will see: `planOnly` is not part of it.
  const { planOnly: _planOnly, ...planned } = request;
  void _planOnly;
  const hash = sha256(
    canonicalJson({
      request: planned,
      baseline: baselineDigest(baseline),
      settings: settings.digest,
      changes,
    }),
  );
  return {
    changes,
    alsoStops,
    projectsToArchive: request.product === 'api' ? request.projectIds : [],
    warnings,
    hash,
  };
}
