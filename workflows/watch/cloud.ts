// The seam between the deletion watchdog and the cloud the key lives in. The watch reads the same for
// both: is the key still waiting for its end, has anyone used it, cancel the end. What differs is
// decided here: AWS KMS deletes a key (PendingDeletion, then gone) and CloudTrail shows its use; Cloud
// KMS destroys versions (DESTROY_SCHEDULED, then DESTROYED) and Cloud Logging's Data Access log shows use.
import type { WatchedKey } from '../../providers/watchRequests';
import type { UsageSample } from '../../common/usage';
import { reads } from '../revoke/activities';
import { call } from '../revoke/call';
import { trailReadOptions } from '../revoke/usage';

export type WatchedEnd =
  /** Still waiting: the deletion (AWS) or the last version's destruction (Google Cloud) is ahead. */
  | { kind: 'pending'; deletionDate?: string }
  /** The end happened: nothing is left to use. */
  | { kind: 'gone'; why: string }
  /** Neither: someone cancelled the end (the key is Disabled, Enabled, or versions were restored). */
  | { kind: 'other'; state: string };

export interface WatchedUses {
  since: string;
  until: string;
  successful: number;
  refused: number;
  samples: UsageSample[];
  /** Google Cloud: no Data Access entry in the whole project — the log cannot show use (logging off). */
  trailLooksOff: boolean;
}

/** What a person does to keep the key, when the watchdog is not told to. */
export function manualCancel(key: WatchedKey): string {
  return key.provider === 'gcp'
    ? 'restore its versions with Cloud KMS RestoreCryptoKeyVersion'
    : 'cancel it with KMS CancelKeyDeletion';
}

/** The end's date passed, the cloud has not acted yet. */
export function stillPending(key: WatchedKey): string {
  return key.provider === 'gcp'
    ? 'versions still read DESTROY_SCHEDULED (Cloud KMS destroys them shortly after)'
    : 'the key still reads PendingDeletion (KMS deletes it within hours)';
}

/** The end as the cloud reports it. A key KMS no longer knows (KeyNotFound) is the caller's to judge. */
export async function readEnd(key: WatchedKey): Promise<WatchedEnd> {
  if (key.provider === 'gcp') {
    const d = await call('read', 'describeGcpKey', 'are the versions still scheduled for destruction?', {
      keyName: key.keyName,
    });
    const live = [...d.enabledVersions, ...d.disabledVersions];
    if (live.length)
      return {
        kind: 'other',
        state: `${live.length} version(s) ENABLED or DISABLED (${live.map((n) => n.split('/').pop()).join(', ')})`,
      };
    if (d.destroyScheduledVersions.length) {
      const last = d.destroyScheduledVersions
        .map((v) => v.destroyTime)
        .filter((t): t is string => t !== undefined)
        .sort()
        .pop();
      return { kind: 'pending', ...(last ? { deletionDate: last } : {}) };
    }
    return { kind: 'gone', why: `every version of ${key.keyName} is DESTROYED: the destruction happened` };
  }
  const d = await call('read', 'describeKey', 'is the key still pending deletion?', key.keyArn);
  return d.state === 'PendingDeletion'
    ? { kind: 'pending', ...(d.deletionDate ? { deletionDate: d.deletionDate } : {}) }
    : { kind: 'other', state: d.state };
}

/** Every use of the key in [since, until), by anyone, successful or refused. */
export async function readUses(key: WatchedKey, since: string, until: string): Promise<WatchedUses> {
  if (key.provider === 'gcp') {
    const r = await reads.readGcpKeyUsage.executeWithOptions(
      { ...trailReadOptions, summary: `Cloud Logging: any use of the key, ${since} → ${until}` },
      [{ keyName: key.keyName, since, until }],
    );
    return { ...r, trailLooksOff: r.dataAccessLogs === 'looks-disabled' };
  }
  const r = await reads.readAwsKeyUsage.executeWithOptions(
    { ...trailReadOptions, summary: `CloudTrail: any use of the key, ${since} → ${until}` },
    [{ keyArn: key.keyArn, since, until }],
  );
  return { ...r, trailLooksOff: false };
}

/** Cancels the end because the key is in use: KMS leaves it Disabled, Cloud KMS brings versions back DISABLED. */
export async function cancelEnd(key: WatchedKey): Promise<string> {
  if (key.provider === 'gcp') {
    const restored = await call(
      'change',
      'cancelGcpKeyDestruction',
      'cancel the destruction: the key is in use',
      {
        keyName: key.keyName,
      },
    );
    return restored.description;
  }
  const cancelled = await call('change', 'cancelAwsKeyDeletion', 'cancel the deletion: the key is in use', {
    keyArn: key.keyArn,
  });
  return cancelled.description;
}
