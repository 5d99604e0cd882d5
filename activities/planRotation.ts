// The plan of a rotation: the one change on the key and the checks around it, hashed so an approval (when
// the worker asks for one) is bound to exactly this change on the key as it was read. The change is in the
// cloud's words (providers/<cloud>/plan.ts).
import type { AccessProof } from '../common/rotationRequest';
import type { KeyRotationState, RotateKeyRequest } from '../providers/rotateRequests';
import type { RunSettingsView } from '../common/runStatus';
import type { RevocationPlan } from '../providers/runStatus';
import { canonicalJson } from '../common/canonicalJson';
import { sha256 } from './planRevocation';
import { rotationActions } from '../providers/runbookActions';
import { specOf } from '../providers';

export async function planRotation(args: {
  request: RotateKeyRequest;
  before: KeyRotationState;
  access: AccessProof;
  settings: RunSettingsView;
}): Promise<RevocationPlan> {
  const { request, before, access, settings } = args;
  // The change in the cloud's words; the checks around it and the hash are the same on every cloud.
  const { change, dependsOn, warnings } = specOf(request).planRotation(request, before);
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
