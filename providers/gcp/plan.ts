// The plans on Google Cloud, in Cloud KMS's words: what each revocation method changes on the key and
// what else that stops, and what a rotation asks of Cloud KMS. Pure: activities/planRevocation.ts and
// planRotation.ts add the steps every cloud shares and hash the plan.
import { EkmError } from '../../common/errors';
import { refusePlan, refuseUnlistedProjects } from '../../common/planRefusals';
import type { RevocationBaseline } from '../requests';
import type { KeyRotationState } from '../rotateRequests';
import type { RevocationPlanWords, RotationPlanWords } from '../planWords';
import type { GcpRevokeKeyRequest } from './request';
import type { GcpRotateKeyRequest } from './rotateRequest';

/**
 * Google Cloud: remove-binding takes OpenAI's principal out of the key's own IAM policy; disable-versions
 * disables every version (and stops automatic rotation first, or the next rotation would bring a fresh
 * enabled primary back). Both act on the key alone, never on its ring or the principal's other keys.
 */
export function planGcpRevocation(
  request: GcpRevokeKeyRequest,
  baseline: RevocationBaseline,
): RevocationPlanWords {
  if (!('provider' in baseline)) refusePlan('provider: an AWS baseline was read for a Google Cloud request');
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
        refusePlan(
          `method: remove-binding cannot revoke ${principal} on ${key}: the key ring ${access.keyRing} grants it ${onRing.map((b) => `${b.role} (as ${b.member})`).join(', ')} too, for every key on the ring; remove that binding by hand, or use disable-versions`,
          EkmError.MethodNotApplicable,
        );
      const indirect = onKey.filter((b) => b.member !== principal);
      if (indirect.length)
        refusePlan(
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
  const fixed = baseline.key.destroyScheduledDurationSeconds;
  if (request.deleteAfterDays && fixed !== undefined && days(fixed) !== request.deleteAfterDays)
    warnings.push(
      `deleteAfterDays is ${request.deleteAfterDays}, but Cloud KMS destroys this key's versions ${days(fixed)} days after they are scheduled: the duration was fixed when the key was made and cannot be changed`,
    );
  return {
    changes,
    alsoStops,
    warnings,
    keySteps: {
      replacement: `create a replacement Cloud KMS key in ${access.keyRing}, give ${principal} the role it holds on this key, register it as an external key, create a project bound to it, validate it`,
      workspaceReplacement: `create a replacement Cloud KMS key in ${access.keyRing} and give ${principal} use of it, for the new workspace`,
      deletion: `third approval gate, then schedule destruction of every version of ${key} (stopping automatic rotation first); Cloud KMS destroys them ${fixed !== undefined ? `${days(fixed)} days` : 'the key’s destroy-scheduled duration'} later`,
    },
  };
}

const days = (seconds: number) => Math.round(seconds / 86400);

/** Cloud KMS makes a new version primary, or sets the key's rotation period. */
export function planGcpRotation(request: GcpRotateKeyRequest, before: KeyRotationState): RotationPlanWords {
  const r = request.rotation;
  const warnings: string[] = [];
  const key = request.keyName;
  // A Google Cloud request's state is Cloud KMS's (readRotation reads the request's cloud).
  const gcp = 'gcp' in before ? before.gcp : undefined;
  const primary = gcp?.primaryVersion?.split('/').pop();
  const now = `${before.automatic ? `every ${before.periodDays ?? '?'} days, next ${before.nextRotationDate ?? 'not set'}` : 'off'}`;
  const change =
    r.kind === 'now'
      ? `Cloud KMS on ${key}: create a new version and make it primary (now primary: version ${primary ?? 'none'} ${gcp?.primaryState ?? ''}; the old versions stay enabled and decrypt old data)`
      : `Cloud KMS UpdateCryptoKey on ${key}: set rotation period every ${r.periodDays} days (${r.periodDays * 86_400} s), next rotation ${r.periodDays} days after the change (now: ${now})`;
  if (r.kind === 'now')
    warnings.push(
      'the old versions stay ENABLED: disabling or destroying them would stop old data from decrypting — a revocation, not a rotation',
    );
  if (r.kind === 'automatic' && before.automatic && before.periodDays === r.periodDays)
    warnings.push(
      `automatic rotation is already on every ${r.periodDays} days: the run changes nothing (the next rotation stays ${before.nextRotationDate ?? 'as set'})`,
    );
  return {
    change,
    warnings,
    dependsOn: {
      automatic: before.automatic,
      periodSeconds: gcp?.periodSeconds ?? null,
      primaryVersion: gcp?.primaryVersion ?? null,
      primaryState: gcp?.primaryState ?? null,
      latestVersion: gcp?.latestVersion ?? 0,
    },
  };
}
