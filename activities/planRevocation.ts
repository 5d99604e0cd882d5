// The plan: the exact changes a revocation will make, what else they stop, and a hash over the request,
// the baseline it was made from and the worker's settings. Approvals are bound to that hash, so a vote
// for one plan can never approve another, and drift in the world shows up as a new hash.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError, type EkmErrorType } from '../common/errors';
import type { RevocationBaseline, RevokeKeyRequest } from '../providers/requests';
import type { GcpRevocationBaseline, GcpRevokeKeyRequest } from '../providers/gcp/request';
import type { AwsRevocationBaseline, AwsRevokeKeyRequest } from '../providers/aws/request';
import type { RunSettingsView } from '../common/runStatus';
import type { RevocationPlan } from '../providers/runStatus';
import { allowsKeyUse, parsePolicy } from '../providers/aws/activities/policyEdits';
import { canonicalJson } from '../common/canonicalJson';
import { hashText } from '../common/hashText';
import { revocationActions } from '../providers/runbookActions';

export interface PlanRequest {
  request: RevokeKeyRequest;
  /** Read for the request's cloud (readBaseline): a GCP baseline carries `provider`, AWS's predates it. */
  baseline: RevocationBaseline;
  settings: RunSettingsView;
}

/** The parts of the baseline that must not move between approval and action (answers' ids and times may). */
export function baselineDigest(baseline: RevocationBaseline): string {
  const { takenAt: _taken, ...access } = baseline.access;
  void _taken;
  return sha256(
    canonicalJson({
      // AWS baselines predate the provider field: theirs hash as they always did.
      ...('provider' in baseline ? { provider: baseline.provider } : {}),
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

/** The plan's hashes: the project's one hash of text (common/hashText.ts). */
export const sha256 = hashText;

function refuse(message: string, type: EkmErrorType = EkmError.PreflightFailed): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

export async function planRevocation(plan: PlanRequest): Promise<RevocationPlan> {
  const { request, settings } = plan;
  if (request.provider === 'gcp') {
    if (!('provider' in plan.baseline))
      refuse('provider: an AWS baseline was read for a Google Cloud request');
    return planGcpRevocation({ request, baseline: plan.baseline, settings });
  }
  if ('provider' in plan.baseline) refuse('provider: a Google Cloud baseline was read for an AWS request');
  return planAwsRevocation({ request, baseline: plan.baseline, settings });
}

function planAwsRevocation({
  request,
  baseline,
  settings,
}: {
  request: AwsRevokeKeyRequest;
  baseline: AwsRevocationBaseline;
  settings: RunSettingsView;
}): RevocationPlan {
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
  changes.push(
    ...afterTheRevoke(request, settings, {
      replacement:
        'create a replacement KMS key and role for OpenAI, register it as an external key, create a project bound to it, validate it',
      workspaceReplacement: 'create a replacement KMS key and role for OpenAI, for the new workspace',
      deletion: `third approval gate, then schedule deletion of ${key} in ${request.deleteAfterDays} days`,
    }),
  );

  // A plan-only run shows the hash the real run's approvers will see: `planOnly` is not part of it, nor
  // is a signed start's signature (a plan-only run is never signed; the start is verified on its own).
  const { planOnly: _planOnly, signature: _signature, ...planned } = request;
  void _planOnly;
  void _signature;
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
    actions: revocationActions(request),
    alsoStops,
    projectsToArchive: request.product === 'api' ? request.projectIds : [],
    warnings,
    hash,
  };
}

/** The projects every method cuts off: a request must name each one, or it would lose access unannounced. */
function refuseUnlistedProjects(request: { projectIds: string[] }, baseline: RevocationBaseline, on: string) {
  const unlisted = baseline.blastRadius.projects.filter((p) => !request.projectIds.includes(p.id));
  if (unlisted.length)
    refuse(
      `projectIds: ${unlisted.map((p) => `${p.id} (${p.name})`).join(', ')} also use ${on} and would lose access too; add them to the run (every affected project is archived) or choose another key`,
    );
}

/**
 * Google Cloud: remove-binding takes OpenAI's principal out of the key's own IAM policy; disable-versions
 * disables every version (and stops automatic rotation first, or the next rotation would bring a fresh
 * enabled primary back). Both act on the key alone, never on its ring or the principal's other keys.
 */
function planGcpRevocation({
  request,
  baseline,
  settings,
}: {
  request: GcpRevokeKeyRequest;
  baseline: GcpRevocationBaseline;
  settings: RunSettingsView;
}): RevocationPlan {
  const { access } = baseline;
  const key = request.keyName;
  const principal = request.principal;
  const warnings: string[] = [];
  const alsoStops: string[] = [];
  const changes: string[] = [];

  refuseUnlistedProjects(request, baseline, 'this key');
  const otherRegistrations = baseline.blastRadius.externalKeys.filter((k) => k.id !== request.externalKeyId);
  if (otherRegistrations.length)
    warnings.push(
      `other external keys are registered for this key and stop working too: ${otherRegistrations.map((k) => k.id).join(', ')}`,
    );

  const onKey = access.bindings.filter((b) => b.resource === key);
  const onRing = access.bindings.filter((b) => b.resource === access.keyRing);
  switch (request.method) {
    case 'remove-binding': {
      // The same refusal revokeGcpAccess makes, before anyone approves a plan that cannot work.
      if (onRing.length)
        refuse(
          `method: remove-binding cannot revoke ${principal} on ${key}: the key ring ${access.keyRing} grants it ${onRing.map((b) => `${b.role} (as ${b.member})`).join(', ')} too, for every key on the ring; remove that binding by hand, or use disable-versions`,
          EkmError.MethodNotApplicable,
        );
      const indirect = onKey.filter((b) => b.member !== principal);
      if (indirect.length)
        refuse(
          `method: remove-binding removes ${principal} itself, but the key also lets it in through ${indirect.map((b) => `${b.member} in ${b.role}`).join(', ')}; narrow those bindings by hand, or use disable-versions`,
          EkmError.MethodNotApplicable,
        );
      const conditional = onKey.filter((b) => b.condition);
      if (conditional.length)
        warnings.push(
          `conditional binding(s) for ${principal} are removed too: ${conditional.map((b) => `${b.role} when ${b.condition!.expression}`).join(', ')}`,
        );
      changes.push(
        `IAM SetIamPolicy on ${key}: remove ${principal} from ${[...new Set(onKey.map((b) => b.role))].join(', ')} (etag read-modify-write)`,
      );
      alsoStops.push(
        `only ${principal} on this key: its bindings on other keys, and every other member of this key, are untouched`,
      );
      break;
    }
    case 'disable-versions':
      if (access.rotation)
        changes.push(
          `Cloud KMS UpdateCryptoKey on ${key}: stop automatic rotation (every ${access.rotation.periodSeconds} s; a rotation would make a new enabled primary version and undo the revocation)`,
        );
      changes.push(
        `Cloud KMS UpdateCryptoKeyVersion on ${key}: disable ${access.enabledVersions.map((v) => v.split('/').pop()).join(', ') || 'no version (none is enabled)'}`,
      );
      alsoStops.push(
        `EVERY user of the key, not only OpenAI${access.otherKeyMembers.length ? `: ${access.otherKeyMembers.join(', ')}` : ''}; all data encrypted under it anywhere becomes unreadable while its versions are disabled`,
      );
      break;
  }
  changes.push(
    ...afterTheRevoke(request, settings, {
      replacement: `create a replacement Cloud KMS key in ${access.keyRing}, give ${principal} the role it holds on this key, register it as an external key, create a project bound to it, validate it`,
      workspaceReplacement: `create a replacement Cloud KMS key in ${access.keyRing} and give ${principal} use of it, for the new workspace`,
      deletion: `third approval gate, then schedule destruction of every version of ${key} (stopping automatic rotation first); Cloud KMS destroys them ${baseline.key.destroyScheduledDurationSeconds !== undefined ? `${days(baseline.key.destroyScheduledDurationSeconds)} days` : 'the key’s destroy-scheduled duration'} later`,
    }),
  );
  const fixed = baseline.key.destroyScheduledDurationSeconds;
  if (request.deleteAfterDays && fixed !== undefined && days(fixed) !== request.deleteAfterDays)
    warnings.push(
      `deleteAfterDays is ${request.deleteAfterDays}, but Cloud KMS destroys this key's versions ${days(fixed)} days after they are scheduled: the duration was fixed when the key was made and cannot be changed`,
    );
  return finishPlan(request, baseline, settings, { changes, alsoStops, warnings });
}

const days = (seconds: number) => Math.round(seconds / 86400);

/** From the validate on, the runbook is the same on every cloud but for the words of its key steps. */
function afterTheRevoke(
  request: AwsRevokeKeyRequest | GcpRevokeKeyRequest,
  settings: RunSettingsView,
  words: { replacement: string; workspaceReplacement: string; deletion: string },
): string[] {
  const changes: string[] = [];
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
    if (request.replace) changes.push(words.replacement);
  } else {
    changes.push(
      `a person contacts OpenAI support about workspace ${request.workspaceId} (ticket reference recorded)`,
    );
    if (request.replace) changes.push(words.workspaceReplacement);
  }
  if (request.deleteAfterDays) changes.push(words.deletion);
  return changes;
}

function finishPlan(
  request: GcpRevokeKeyRequest,
  baseline: GcpRevocationBaseline,
  settings: RunSettingsView,
  plan: { changes: string[]; alsoStops: string[]; warnings: string[] },
): RevocationPlan {
  // A plan-only run shows the hash the real run's approvers will see: `planOnly` is not part of it, nor
  // is a signed start's signature (a plan-only run is never signed; the start is verified on its own).
  const { planOnly: _planOnly, signature: _signature, ...planned } = request;
  void _planOnly;
  void _signature;
  const hash = sha256(
    canonicalJson({
      request: planned,
      baseline: baselineDigest(baseline),
      settings: settings.digest,
      changes: plan.changes,
    }),
  );
  return {
    ...plan,
    // What the revoke gate authorises; not part of the plan's hash (the request it derives from is), so a
    // plan-only run still shows the plan hash the real run's gate lists.
    actions: revocationActions(request),
    projectsToArchive: request.product === 'api' ? request.projectIds : [],
    hash,
  };
}
