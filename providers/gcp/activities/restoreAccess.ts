// The runbook's way back, for Google Cloud: puts back what the snapshot holds for the method that was
// applied — the principal's bindings on the key and ring (remove-binding), the enabled versions and the
// automatic-rotation schedule (disable-versions) — comparing with the current state first, so a second
// call changes nothing and says so. What was added since the snapshot is left alone.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { editIamPolicy, type IamBinding } from './iamPolicy';
import { parseGcpKeyName } from './keyNames';
import { readGcpKey, timestampOf } from './readKey';
import type { GcpRevocationMethod, GcpRevokeResult } from './revokeAccess';
import type { GcpAccessSnapshot, GcpPrincipalBinding } from './snapshotAccess';

export interface RestoreGcpAccessRequest {
  /** The method that was applied: only what it takes away is put back. */
  method: GcpRevocationMethod;
  snapshot: GcpAccessSnapshot;
}

const sameCondition = (b: IamBinding, s: GcpPrincipalBinding) =>
  (b.condition?.expression ?? undefined) === s.condition?.expression &&
  (b.condition?.title || undefined) === (s.condition?.title || undefined);

/** Adds each missing member back to its role's binding (with the same condition), or a new binding. */
function withBindings(bindings: IamBinding[], wanted: GcpPrincipalBinding[]): IamBinding[] | undefined {
  let changed = false;
  for (const w of wanted) {
    const binding = bindings.find((b) => b.role === w.role && sameCondition(b, w));
    if (binding?.members.includes(w.member)) continue;
    changed = true;
    if (binding) binding.members.push(w.member);
    else
      bindings.push({
        role: w.role,
        members: [w.member],
        ...(w.condition ? { condition: { ...w.condition } } : {}),
      });
  }
  return changed ? bindings : undefined;
}

/**
 * The next rotation the snapshot's schedule would have made: its own time if still ahead, else rolled
 * forward by whole periods (Cloud KMS would rotate at once on a time already past).
 */
export function nextRotationAfter(
  snapshotNext: string | undefined,
  periodSeconds: number,
  now: Date,
): string {
  const periodMs = periodSeconds * 1000;
  const start = snapshotNext ? Date.parse(snapshotNext) : now.getTime() + periodMs;
  if (start > now.getTime()) return new Date(start).toISOString();
  const periods = Math.floor((now.getTime() - start) / periodMs) + 1;
  return new Date(start + periods * periodMs).toISOString();
}

export function restoreGcpAccessActivity(clients: GcpClients) {
  const { kms } = clients;

  async function restoreBindings(s: GcpAccessSnapshot): Promise<GcpRevokeResult> {
    const done: string[] = [];
    // remove-binding only ever takes bindings off the key (it refuses when the ring grants the principal):
    // a ring binding in the snapshot was never ekm's to take away, so only the key's come back — and the
    // mutating worker's role holds no keyRings.setIamPolicy.
    for (const resource of [s.keyName]) {
      const wanted = s.bindings.filter((b) => b.resource === resource);
      if (!wanted.length) continue;
      const edit = await editIamPolicy(kms, resource, (bindings) => withBindings(bindings, wanted));
      if (!edit.after) continue;
      const missing = wanted.filter(
        (w) => !edit.after!.bindings.some((b) => b.role === w.role && b.members.includes(w.member)),
      );
      if (missing.length)
        throw ApplicationFailure.create({
          type: EkmError.CloudStateUnexpected,
          nonRetryable: true,
          message: `IAM accepted the policy on ${resource} but its answer lacks ${missing.map((m) => `${m.member} in ${m.role}`).join(', ')}`,
        });
      done.push(
        `IAM SetIamPolicy on ${resource}: put back ${wanted.map((w) => `${w.member} in ${w.role}`).join(', ')}${edit.staleEtags ? ` (after ${edit.staleEtags} concurrent change(s): the etag was stale, the policy was read again)` : ''}`,
      );
    }
    if (!done.length)
      return {
        method: 'remove-binding',
        changed: false,
        description: s.bindings.length
          ? `every binding of the snapshot taken ${s.takenAt} is on ${s.keyName} or its ring already: nothing changed`
          : `the snapshot taken ${s.takenAt} holds no binding for ${s.principal}: nothing to put back`,
      };
    return {
      method: 'remove-binding',
      changed: true,
      description: `${done.join('; ')}, as in the snapshot taken ${s.takenAt}; bindings added since were left alone`,
    };
  }

  async function restoreVersions(s: GcpAccessSnapshot): Promise<GcpRevokeResult> {
    const key = await readGcpKey(kms, s.keyName);
    const byName = new Map(key.versions.map((v) => [v.name, v]));
    // Decide before changing anything: a version on its way to destruction is not this restore's to revive.
    const lost = s.enabledVersions.filter((n) => {
      const state = byName.get(n)?.state;
      return state !== 'ENABLED' && state !== 'DISABLED';
    });
    if (lost.length)
      throw ApplicationFailure.create({
        type: EkmError.MethodNotApplicable,
        nonRetryable: true,
        message: `cannot enable ${lost.map((n) => `${n} (${byName.get(n)?.state ?? 'missing'})`).join(', ')}: a version scheduled for destruction must be restored first (cancelGcpKeyDestruction), a destroyed one is gone`,
      });
    const done: string[] = [];
    for (const name of s.enabledVersions) {
      if (byName.get(name)?.state === 'ENABLED') continue;
      await kms.updateCryptoKeyVersion({
        cryptoKeyVersion: { name, state: 'ENABLED' },
        updateMask: { paths: ['state'] },
      });
      done.push(`${name.split('/').pop()} enabled`);
    }
    if (s.rotation && key.rotationPeriodSeconds !== s.rotation.periodSeconds) {
      const next = nextRotationAfter(s.rotation.nextRotationTime, s.rotation.periodSeconds, new Date());
      await kms.updateCryptoKey({
        cryptoKey: {
          name: s.keyName,
          rotationPeriod: { seconds: s.rotation.periodSeconds },
          nextRotationTime: timestampOf(next),
        },
        updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
      });
      done.push(
        `automatic rotation every ${s.rotation.periodSeconds} s put back, next ${next}${next !== s.rotation.nextRotationTime ? ` (the snapshot's ${s.rotation.nextRotationTime ?? 'none'} has passed)` : ''}`,
      );
    }
    if (!done.length)
      return {
        method: 'disable-versions',
        changed: false,
        description: `every version enabled in the snapshot taken ${s.takenAt} is enabled, and the rotation is as it was: nothing changed`,
      };
    const after = await readGcpKey(kms, s.keyName);
    const notEnabled = s.enabledVersions.filter(
      (n) => after.versions.find((v) => v.name === n)?.state !== 'ENABLED',
    );
    if (notEnabled.length || (s.rotation && after.rotationPeriodSeconds !== s.rotation.periodSeconds))
      throw ApplicationFailure.create({
        type: EkmError.CloudStateUnexpected,
        nonRetryable: true,
        message: `Cloud KMS accepted the restore of ${s.keyName} but reports ${notEnabled.length ? `${notEnabled.join(', ')} not ENABLED` : `a rotation period of ${after.rotationPeriodSeconds ?? 'none'} s`}`,
      });
    return {
      method: 'disable-versions',
      changed: true,
      description: `Cloud KMS on ${s.keyName}: ${done.join('; ')}, as in the snapshot taken ${s.takenAt}`,
    };
  }

  return async function restoreGcpAccess({
    method,
    snapshot,
  }: RestoreGcpAccessRequest): Promise<GcpRevokeResult> {
    parseGcpKeyName(snapshot?.keyName, 'snapshot.keyName');
    try {
      if (method === 'remove-binding') return await restoreBindings(snapshot);
      if (method === 'disable-versions') return await restoreVersions(snapshot);
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        nonRetryable: true,
        message: `method: ${String(method)} is not a Google Cloud revocation method`,
      });
    } catch (err) {
      throw toGcpFailure(err, `restore after ${method} on ${snapshot.keyName} for ${snapshot.principal}`);
    }
  };
}
