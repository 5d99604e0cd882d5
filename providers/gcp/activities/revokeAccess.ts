// Revoking OpenAI's access to a Google Cloud KMS key, by one of two methods, each reading before it writes
// so a retry changes nothing twice:
// - remove-binding: take OpenAI's principal out of every binding on the key's IAM policy (etag
//   read-modify-write). Refused when the key ring grants it too: the key's policy alone would not revoke.
// - disable-versions: stop automatic rotation first — or the next rotation makes a fresh ENABLED primary
//   version and silently undoes the revocation — then disable every enabled version. Every user of the
//   key is stopped, not only OpenAI.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { editIamPolicy, readIamPolicy, type IamBinding } from './iamPolicy';
import { parseGcpKeyName } from './keyNames';

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

function rolesOf(bindings: IamBinding[], principal: string): string[] {
  return bindings.filter((b) => b.members.includes(principal)).map((b) => b.role);
}

async function removeBinding(clients: GcpClients, r: GcpRevokeRequest): Promise<GcpRevokeResult> {
  const { ringName } = parseGcpKeyName(r.keyName);
  const ringRoles = rolesOf((await readIamPolicy(clients.kms, ringName)).bindings, r.principal);
  if (ringRoles.length)
    throw ApplicationFailure.create({
      type: EkmError.MethodNotApplicable,
      nonRetryable: true,
      message: `remove-binding cannot revoke ${r.principal} on ${r.keyName}: the key ring ${ringName} grants it ${ringRoles.join(', ')} too (for every key on the ring); remove that binding by hand, or use disable-versions`,
    });
  let roles: string[] = [];
  // Read-modify-write on the etag: if someone changed the policy meanwhile, Cloud KMS refuses (ABORTED),
  // and the edit is decided again on a fresh read.
  const edit = await editIamPolicy(clients.kms, r.keyName, (bindings) => {
    roles = rolesOf(bindings, r.principal);
    if (!roles.length) return undefined;
    return bindings.map((b) => ({ ...b, members: b.members.filter((m) => m !== r.principal) }));
  });
  if (!edit.after)
    return {
      method: r.method,
      changed: false,
      description: `${r.principal} has no binding on ${r.keyName}: nothing changed`,
    };
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
