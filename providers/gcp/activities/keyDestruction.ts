// The runbook's last step for the old key, for Google Cloud: Cloud KMS never deletes a key, it destroys
// versions — each DESTROY_SCHEDULED for the key's fixed destroy-scheduled duration, then DESTROYED. So
// "schedule the key's deletion" is: stop automatic rotation (or the next rotation makes a fresh ENABLED
// version of the "deleted" key), then schedule the destruction of every version still ENABLED or
// DISABLED. Cancelling restores the scheduled versions; Cloud KMS brings them back DISABLED, and a person
// enables what they want used. Both read first, so a retry reports what is scheduled instead of failing.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { parseGcpKeyName } from './keyNames';
import { liveStates, readGcpKey, type GcpKey } from './readKey';

export interface GcpKeyDestruction {
  changed: boolean;
  /** When the last scheduled version's material goes: the key's end. */
  destroyTime?: string;
  versions: { name: string; state: string; destroyTime?: string }[];
  /** The automatic rotation this call stopped, so a person who cancels can put it back. */
  rotationStopped?: { periodSeconds: number; nextRotationTime?: string };
  description: string;
}

const lastDestroyTime = (key: GcpKey) =>
  key.versions
    .map((v) => v.destroyTime)
    .filter((t): t is string => t !== undefined)
    .sort()
    .pop();

const versionsOf = (key: GcpKey) =>
  key.versions.map((v) => ({
    name: v.name,
    state: v.state,
    ...(v.destroyTime ? { destroyTime: v.destroyTime } : {}),
  }));

export function scheduleGcpKeyDestructionActivity(clients: GcpClients) {
  const { kms } = clients;
  return async function scheduleGcpKeyDestruction({
    keyName,
  }: {
    keyName: string;
  }): Promise<GcpKeyDestruction> {
    parseGcpKeyName(keyName);
    try {
      const before = await readGcpKey(kms, keyName);
      const done: string[] = [];
      let rotationStopped: GcpKeyDestruction['rotationStopped'];
      if (before.rotationPeriodSeconds !== undefined || before.nextRotationTime) {
        await kms.updateCryptoKey({
          cryptoKey: { name: keyName, rotationPeriod: null, nextRotationTime: null },
          updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
        });
        rotationStopped = {
          periodSeconds: before.rotationPeriodSeconds ?? 0,
          ...(before.nextRotationTime ? { nextRotationTime: before.nextRotationTime } : {}),
        };
        done.push('automatic rotation stopped (a rotation would make a new ENABLED version)');
      }
      for (const v of before.versions) {
        if (!liveStates.has(v.state)) continue;
        await kms.destroyCryptoKeyVersion({ name: v.name });
        done.push(`${v.name.split('/').pop()} scheduled for destruction`);
      }
      const after = done.length ? await readGcpKey(kms, keyName) : before;
      const left = after.versions.filter((v) => liveStates.has(v.state) || v.state.startsWith('PENDING'));
      if (left.length || after.rotationPeriodSeconds !== undefined)
        throw ApplicationFailure.create({
          type: EkmError.CloudStateUnexpected,
          nonRetryable: true,
          message: `Cloud KMS accepted the destruction of ${keyName} but reports ${left.length ? left.map((v) => `${v.name} ${v.state}`).join(', ') : `automatic rotation every ${after.rotationPeriodSeconds} s`}`,
        });
      const destroyTime = lastDestroyTime(after);
      return {
        changed: done.length > 0,
        ...(destroyTime ? { destroyTime } : {}),
        versions: versionsOf(after),
        ...(rotationStopped ? { rotationStopped } : {}),
        description: done.length
          ? `Cloud KMS on ${keyName}: ${done.join('; ')}; the material is destroyed at ${destroyTime ?? 'once'} unless cancelled before (cancelGcpKeyDestruction)`
          : `every version of ${keyName} is already scheduled for destruction or destroyed${destroyTime ? ` (the last at ${destroyTime})` : ''}: nothing changed`,
      };
    } catch (err) {
      throw toGcpFailure(err, `schedule the destruction of ${keyName}`);
    }
  };
}

export interface GcpDestructionCancel {
  changed: boolean;
  /** Versions brought back (DISABLED). */
  restored: string[];
  /** Versions past their destroy time: gone for good. */
  destroyed: string[];
  description: string;
}

export function cancelGcpKeyDestructionActivity(clients: GcpClients) {
  const { kms } = clients;
  return async function cancelGcpKeyDestruction({
    keyName,
  }: {
    keyName: string;
  }): Promise<GcpDestructionCancel> {
    parseGcpKeyName(keyName);
    try {
      const before = await readGcpKey(kms, keyName);
      const destroyed = before.versions.filter((v) => v.state === 'DESTROYED').map((v) => v.name);
      const restored: string[] = [];
      for (const v of before.versions) {
        if (v.state !== 'DESTROY_SCHEDULED') continue;
        await kms.restoreCryptoKeyVersion({ name: v.name });
        restored.push(v.name);
      }
      const lost = destroyed.length
        ? `; ${destroyed.map((n) => n.split('/').pop()).join(', ')} already DESTROYED (gone for good)`
        : '';
      if (!restored.length)
        return {
          changed: false,
          restored,
          destroyed,
          description: `no version of ${keyName} is scheduled for destruction: nothing changed${lost}`,
        };
      const after = await readGcpKey(kms, keyName);
      const notBack = restored.filter((n) => {
        const state = after.versions.find((v) => v.name === n)?.state;
        return state !== 'DISABLED' && state !== 'ENABLED';
      });
      if (notBack.length)
        throw ApplicationFailure.create({
          type: EkmError.CloudStateUnexpected,
          nonRetryable: true,
          message: `Cloud KMS accepted RestoreCryptoKeyVersion on ${notBack.join(', ')} but does not report them DISABLED`,
        });
      return {
        changed: true,
        restored,
        destroyed,
        description: `Cloud KMS RestoreCryptoKeyVersion on ${keyName}: ${restored.map((n) => n.split('/').pop()).join(', ')} restored, DISABLED until a person enables them; automatic rotation stays off${lost}`,
      };
    } catch (err) {
      throw toGcpFailure(err, `cancel the destruction of ${keyName}`);
    }
  };
}
