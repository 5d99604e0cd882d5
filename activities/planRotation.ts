// The plan of a rotation: the one KMS change and the checks around it, hashed so an approval (when the
// worker asks for one) is bound to exactly this change on the key as it was read.
import type { AccessProof, KeyRotationState, RotateKeyRequest } from '../common/rotate';
import type { RevocationPlan, RunSettingsView } from '../common/runStatus';
import { canonicalJson } from '../common/canonicalJson';
import { sha256 } from './planRevocation';

export async function planRotation(args: {
  request: RotateKeyRequest;
  before: KeyRotationState;
  access: AccessProof;
  settings: RunSettingsView;
}): Promise<RevocationPlan> {
  const { request, before, access, settings } = args;
  const key = request.keyArn;
  const r = request.rotation;
  const onDemand = before.rotations.filter((x) => x.type === 'ON_DEMAND').length;
  const changes = [
    r.kind === 'now'
      ? `KMS RotateKeyOnDemand on ${key} (${onDemand} on-demand rotation(s) listed so far)`
      : `KMS EnableKeyRotation on ${key}, every ${r.periodDays} days (now: ${before.automatic ? `on, every ${before.periodDays ?? '?'} days` : 'off'})`,
  ];
  if (request.externalKeyId)
    changes.push(
      `OpenAI validate ${request.externalKeyId} right after, and again after the ${settings.cacheWaitSeconds} s cache wait: it must answer success`,
    );
  if (request.probes.length)
    changes.push(
      `after the wait, read ${request.probes.length} old object(s) with each project's own key: every one must stay readable`,
    );
  const warnings: string[] = [];
  if (r.kind === 'now')
    warnings.push(
      'KMS limits how many on-demand rotations a key may have; automatic rotation (a period) has no such limit',
    );
  if (r.kind === 'automatic' && before.automatic && before.periodDays === r.periodDays)
    warnings.push(`automatic rotation is already on every ${r.periodDays} days: the run changes nothing`);
  return {
    changes,
    alsoStops: [],
    projectsToArchive: [],
    warnings,
    hash: sha256(
      canonicalJson({
        request,
        // What the change depends on, not when it was read.
        rotation: { automatic: before.automatic, periodDays: before.periodDays ?? null, onDemand },
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
