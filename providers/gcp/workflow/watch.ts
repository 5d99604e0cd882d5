// The deletion watchdog on a Cloud KMS key: Cloud KMS destroys versions (DESTROY_SCHEDULED, then
// DESTROYED); cancelling brings the versions back DISABLED.
import type { WatchedKey } from '../../watchRequests';
import { call } from '../../../workflows/revoke/call';
import type { WatchedEnd } from '../../operations';
import { ownRequest } from '../../provider';

export async function readGcpEnd(k: WatchedKey): Promise<WatchedEnd> {
  const key = ownRequest('gcp', k);
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

export async function cancelGcpEnd(k: WatchedKey): Promise<string> {
  const key = ownRequest('gcp', k);
  const restored = await call(
    'change',
    'cancelGcpKeyDestruction',
    'cancel the destruction: the key is in use',
    { keyName: key.keyName },
  );
  return restored.description;
}
