// Revoking OpenAI's access to a Google Cloud KMS key, by one of two methods, each reading before it writes
// so a retry changes nothing twice:
// - remove-binding: take OpenAI's principal out of every binding on the key's IAM policy (etag
//   read-modify-write). Refused when the key ring grants it too: the key's policy alone would not revoke.
// - disable-versions: stop automatic rotation first — or the next rotation makes a fresh ENABLED primary
//   version and silently undoes the revocation — then disable every enabled version. Every user of the
//   key is stopped, not only OpenAI.
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';

export const gcpRevocationMethods = ['remove-binding', 'disable-versions'] as const;
export type GcpRevocationMethod = (typeof gcpRevocationMethods)[number];

export interface GcpRevokeRequest {
  method: GcpRevocationMethod;
  /** projects/P/locations/L/keyRings/R/cryptoKeys/K */
  keyName: string;
  /** OpenAI's principal as an IAM member (principal://…, serviceAccount:…). */
  principal: string;
}

export interface GcpRevokeResult {
  method: GcpRevocationMethod;
  changed: boolean;
  description: string;
}

type Binding = { role?: string | null; members?: string[] | null };
type Policy = { bindings?: Binding[] | null; etag?: Uint8Array | string | null };

/** The client's IAM methods take plain objects, though its types name the generated message classes. */
function iam(kms: KeyManagementServiceClient) {
  return {
    get: async (resource: string): Promise<Policy> =>
      (
        await kms.getIamPolicy({ resource } as Parameters<KeyManagementServiceClient['getIamPolicy']>[0])
      )[0] as Policy,
    set: (resource: string, policy: Policy) =>
      kms.setIamPolicy({ resource, policy } as Parameters<KeyManagementServiceClient['setIamPolicy']>[0]),
  };
}

const ringOf = (keyName: string) => keyName.replace(/\/cryptoKeys\/[^/]+$/, '');

function rolesOf(policy: Policy, principal: string): string[] {
  return (policy.bindings ?? []).filter((b) => b.members?.includes(principal)).map((b) => b.role ?? '?');
}

async function removeBinding(clients: GcpClients, r: GcpRevokeRequest): Promise<GcpRevokeResult> {
  const policies = iam(clients.kms);
  const ringRoles = rolesOf(await policies.get(ringOf(r.keyName)), r.principal);
  if (ringRoles.length)
    throw ApplicationFailure.create({
      type: EkmError.MethodNotApplicable,
      nonRetryable: true,
      message: `remove-binding cannot revoke ${r.principal} on ${r.keyName}: the key ring ${ringOf(r.keyName)} grants it ${ringRoles.join(', ')} too (for every key on the ring); remove that binding by hand, or use disable-versions`,
    });
  const policy = await policies.get(r.keyName);
  const roles = rolesOf(policy, r.principal);
  if (!roles.length)
    return {
      method: r.method,
      changed: false,
      description: `${r.principal} has no binding on ${r.keyName}: nothing changed`,
    };
  const bindings = (policy.bindings ?? [])
    .map((b) => ({ role: b.role, members: (b.members ?? []).filter((m) => m !== r.principal) }))
    .filter((b) => b.members.length > 0);
  // The etag read above: if someone changed the policy meanwhile, Cloud KMS refuses (ABORTED) and the
  // activity's retry reads it again.
  await policies.set(r.keyName, { bindings, etag: policy.etag });
  return {
    method: r.method,
    changed: true,
    description: `IAM SetIamPolicy on ${r.keyName}: ${r.principal} removed from ${roles.join(', ')}`,
  };
}

async function disableVersions(clients: GcpClients, r: GcpRevokeRequest): Promise<GcpRevokeResult> {
  const { kms } = clients;
  const done: string[] = [];
  const [key] = await kms.getCryptoKey({ name: r.keyName });
  if (key.rotationPeriod || key.nextRotationTime) {
    await kms.updateCryptoKey({
      cryptoKey: { name: r.keyName, rotationPeriod: null, nextRotationTime: null },
      updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
    });
    done.push('automatic rotation stopped (a rotation would make a new enabled primary version)');
  }
  const [versions] = await kms.listCryptoKeyVersions({ parent: r.keyName });
  for (const v of versions) {
    if (v.state !== 'ENABLED') continue;
    await kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: v.name, state: 'DISABLED' },
      updateMask: { paths: ['state'] },
    });
    done.push(`${v.name!.split('/').pop()} disabled`);
  }
  return {
    method: r.method,
    changed: done.length > 0,
    description: done.length
      ? `Cloud KMS on ${r.keyName}: ${done.join('; ')}; every user of the key is refused until a version is enabled again`
      : `${r.keyName} has no enabled version and no automatic rotation: nothing changed`,
  };
}

export function revokeGcpAccessActivity(clients: GcpClients) {
  return async function revokeGcpAccess(request: GcpRevokeRequest): Promise<GcpRevokeResult> {
    try {
      if (request.method === 'remove-binding') return await removeBinding(clients, request);
      if (request.method === 'disable-versions') return await disableVersions(clients, request);
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        nonRetryable: true,
        message: `method: ${String(request.method)} is not a Google Cloud revocation method (${gcpRevocationMethods.join(', ')})`,
      });
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toGcpFailure(err, `${request.method} on ${request.keyName} for ${request.principal}`);
    }
  };
}
