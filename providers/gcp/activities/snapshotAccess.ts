// The runbook's "snapshot before you change anything", for Google Cloud: everything either GCP revocation
// method could take away from OpenAI's principal — its bindings on the key and on the key ring, the
// enabled versions, the automatic-rotation schedule — read-only, so restoreGcpAccess can put exactly it
// back, and so the plan can name who else uses the key (disable-versions stops them too).
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { isIamMember, memberCovers, readIamPolicy, useOfPredefinedRole, type IamBinding } from './iamPolicy';
import { parseGcpKeyName } from './keyNames';
import { readGcpKey } from './readKey';

export interface GcpPrincipalBinding {
  /** The key, or its key ring (a ring binding grants on every key of the ring). */
  resource: string;
  role: string;
  /** The member that takes the principal in: itself, or its pool (principalSet://…/*), domain, allUsers. */
  member: string;
  /**
   * The use permissions the role gives, for predefined roles; absent for a custom role, whose
   * permissions the worker does not read (OpenAI's own setup grants a custom role with both).
   */
  usePermissions?: string[];
  /** A conditional binding grants only when its condition holds; kept whole so restore can match it. */
  condition?: { title?: string; expression: string; description?: string };
}

export interface GcpAccessSnapshot {
  takenAt: string;
  keyName: string;
  keyRing: string;
  principal: string;
  /** Every binding on the key and the ring whose member takes the principal in, whatever its role. */
  bindings: GcpPrincipalBinding[];
  /** The primary version and every version with its state. */
  primaryVersion?: string;
  versions: { name: string; state: string }[];
  enabledVersions: string[];
  /** Automatic rotation: absent when off. */
  rotation?: { periodSeconds: number; nextRotationTime?: string };
  /** Other members that may use the key through the key's or the ring's policy (blast radius). */
  otherKeyMembers: string[];
}

export interface SnapshotGcpAccessRequest {
  keyName: string;
  /** OpenAI's principal as an IAM member (principal://…/subject/…). */
  principal: string;
}

/** Roles that may give use: the predefined use roles, and every role ekm cannot see into. */
function mayGiveUse(role: string): boolean {
  const known = useOfPredefinedRole[role];
  return known === undefined || known.length > 0;
}

function principalBindings(
  resource: string,
  bindings: IamBinding[],
  principal: string,
): GcpPrincipalBinding[] {
  return bindings.flatMap((b) =>
    b.members
      .filter((m) => memberCovers(m, principal))
      .map((member) => ({
        resource,
        role: b.role,
        member,
        ...(useOfPredefinedRole[b.role] ? { usePermissions: [...useOfPredefinedRole[b.role]!] } : {}),
        ...(b.condition
          ? {
              condition: {
                expression: b.condition.expression ?? '',
                ...(b.condition.title ? { title: b.condition.title } : {}),
                ...(b.condition.description ? { description: b.condition.description } : {}),
              },
            }
          : {}),
      })),
  );
}

export function snapshotGcpAccessActivity(clients: GcpClients) {
  return async function snapshotGcpAccess({
    keyName,
    principal,
  }: SnapshotGcpAccessRequest): Promise<GcpAccessSnapshot> {
    const { ringName } = parseGcpKeyName(keyName);
    // A mistyped principal would match no binding and make an empty snapshot look like "no access".
    if (!isIamMember(principal))
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        nonRetryable: true,
        message: `principal: ${JSON.stringify(principal)} is not an IAM member (principal://…, serviceAccount:EMAIL, user:EMAIL)`,
      });
    try {
      const takenAt = new Date().toISOString();
      const key = await readGcpKey(clients.kms, keyName);
      const keyPolicy = await readIamPolicy(clients.kms, keyName);
      const ringPolicy = await readIamPolicy(clients.kms, ringName);
      const others = new Set<string>();
      for (const b of [...keyPolicy.bindings, ...ringPolicy.bindings])
        if (mayGiveUse(b.role)) for (const m of b.members) if (!memberCovers(m, principal)) others.add(m);
      return {
        takenAt,
        keyName,
        keyRing: ringName,
        principal,
        bindings: [
          ...principalBindings(keyName, keyPolicy.bindings, principal),
          ...principalBindings(ringName, ringPolicy.bindings, principal),
        ],
        ...(key.primary ? { primaryVersion: key.primary } : {}),
        versions: key.versions.map((v) => ({ name: v.name, state: v.state })),
        enabledVersions: key.versions.filter((v) => v.state === 'ENABLED').map((v) => v.name),
        ...(key.rotationPeriodSeconds !== undefined
          ? {
              rotation: {
                periodSeconds: key.rotationPeriodSeconds,
                ...(key.nextRotationTime ? { nextRotationTime: key.nextRotationTime } : {}),
              },
            }
          : {}),
        otherKeyMembers: [...others].sort(),
      };
    } catch (err) {
      throw toGcpFailure(err, `snapshot of ${principal}'s access to ${keyName}`);
    }
  };
}
