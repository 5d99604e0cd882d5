// The plan of a rotation: the one change on the key and the checks around it, hashed so an approval (when
// the worker asks for one) is bound to exactly this change on the key as it was read. AWS KMS rotates on
// demand or turns on automatic rotation; Cloud KMS makes a new version primary or sets the key's period.
import type { AccessProof } from '../common/rotationRequest';
import type { KeyRotationState, AnyRotateKeyRequest } from '../providers/rotateRequests';
import type { RunSettingsView } from '../common/runStatus';
import type { RevocationPlan } from '../providers/runStatus';
import { canonicalJson } from '../common/canonicalJson';
import { sha256 } from './planRevocation';
import { rotationActions } from '../providers/runbookActions';

/** The change itself, in the cloud's words, and what of the key's state the change depends on. */
function theChange(
  request: AnyRotateKeyRequest,
  before: KeyRotationState,
): { change: string; dependsOn: unknown; warnings: string[] } {
  const r = request.rotation;
  const warnings: string[] = [];
  if (request.provider === 'gcp') {
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

export async function planRotation(args: {
  request: AnyRotateKeyRequest;
  before: KeyRotationState;
  access: AccessProof;
  settings: RunSettingsView;
}): Promise<RevocationPlan> {
  const { request, before, access, settings } = args;
  const { change, dependsOn, warnings } = theChange(request, before);
  const changes = [change];
  if (request.externalKeyId)
    changes.push(
      `OpenAI validate ${request.externalKeyId} right after, and again after the ${settings.cacheWaitSeconds} s cache wait: it must answer success`,
    );
  if (request.probes.length)
    changes.push(
      `after the wait, read ${request.probes.length} old object(s) with each project's own key: every one must stay readable`,
    );
  return {
    changes,
    // What the rotate gate authorises (the request, which the hash covers, fixes it).
    actions: rotationActions(request),
    alsoStops: [],
    projectsToArchive: [],
    warnings,
    hash: sha256(
      canonicalJson({
        request,
        // What the change depends on, not when it was read.
        rotation: dependsOn,
        access: {
          validate: access.validate?.outcome ?? null,
          probes: access.probes.flatMap((round) => round.probes.map((p) => p.outcome)),
        },
        settings: settings.digest,
        changes,
      }),
    ),
  };
}
