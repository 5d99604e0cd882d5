// The deletion watchdog on an AWS key: KMS deletes a key (PendingDeletion, then gone); cancelling leaves it
// Disabled.
import type { WatchedKey } from '../../watchRequests';
import { call } from '../../../workflows/revoke/call';
import type { WatchedEnd } from '../../operations';
import { ownRequest } from '../../provider';

/** A key KMS no longer knows (KeyNotFound) is the watch's to judge. */
export async function readAwsEnd(k: WatchedKey): Promise<WatchedEnd> {
  const key = ownRequest('aws', k);
  const d = await call('read', 'describeKey', 'is the key still pending deletion?', key.keyArn);
  return d.state === 'PendingDeletion'
    ? { kind: 'pending', ...(d.deletionDate ? { deletionDate: d.deletionDate } : {}) }
    : { kind: 'other', state: d.state };
}

export async function cancelAwsEnd(k: WatchedKey): Promise<string> {
  const key = ownRequest('aws', k);
  const cancelled = await call('change', 'cancelAwsKeyDeletion', 'cancel the deletion: the key is in use', {
    keyArn: key.keyArn,
  });
  return cancelled.description;
}
