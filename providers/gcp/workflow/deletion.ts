// The old Cloud KMS key's end (runbook: "schedule the old key's deletion"): Cloud KMS destroys every
// version after the key's destroy-scheduled duration (fixed when the key was made), after automatic
// rotation is stopped; a run of its own watches Cloud Logging until then.
import { patchedBeforeCheaper } from '../../../workflows/revoke/cheaperRuns';
import type { ApprovalProof } from '../../../common/approvalProof';
import type { WatchedKey } from '../../watchRequests';
import { call } from '../../../workflows/revoke/call';
import type { ScheduledEnd } from '../../operations';
import { ownRequest } from '../../provider';
import type { RevocationBaseline, RevokeKeyRequest } from '../../requests';

export function gcpDeletionChange(r: RevokeKeyRequest, now: RevocationBaseline): string {
  const request = ownRequest('gcp', r);
  const destroyAfterSeconds = 'provider' in now ? now.key.destroyScheduledDurationSeconds : undefined;
  return `schedule destruction of every version of ${request.keyName} (Cloud KMS DestroyCryptoKeyVersion, after stopping automatic rotation); the material goes ${destroyAfterSeconds !== undefined ? `${Math.round(destroyAfterSeconds / 86400)} days` : 'the key’s destroy-scheduled duration'} later`;
}

export async function scheduleGcpKeyDestruction(
  r: RevokeKeyRequest,
  approval: ApprovalProof,
): Promise<ScheduledEnd> {
  const request = ownRequest('gcp', r);
  const destruction = await call(
    'change',
    'scheduleGcpKeyDestruction',
    `schedule the destruction of every version of ${request.keyName}`,
    { keyName: request.keyName, approval },
  );
  return {
    when: destruction.destroyTime ?? 'at once',
    description: destruction.description,
    data: destruction,
  };
}

/** Runs from before the watchdog read Cloud Logging (patch `gcp-deletion-watchdog`) said so rather than pretend. */
export function gcpDeletionScheduled(
  r: RevokeKeyRequest,
  scheduled: ScheduledEnd,
): { summary: string; watch?: WatchedKey } {
  const request = ownRequest('gcp', r);
  if (patchedBeforeCheaper('gcp-deletion-watchdog'))
    return { summary: scheduled.description, watch: { provider: 'gcp', keyName: request.keyName } };
  return {
    summary: `${scheduled.description}; not watched: the deletion watchdog reads AWS CloudTrail only — watch Cloud Logging for use of ${request.keyName} until ${scheduled.when}`,
  };
}
