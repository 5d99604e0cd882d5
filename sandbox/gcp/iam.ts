// IAM as Cloud KMS enforces it: a permission is granted when a binding on the resource (a key, or the key
// ring above it) gives the caller a role holding it. Policies change by read-modify-write on the etag, so
// two editors cannot silently overwrite each other. Custom roles (how OpenAI's EKM access is usually
// granted: useToEncrypt + useToDecrypt only) are defined through the fake's control surface, since the
// IAM roles API is not served.
import { randomBytes } from 'node:crypto';
import { aborted, invalidArgument } from './errors';
import type { Caller } from './principal';

export const permissions = {
  keyRingsCreate: 'cloudkms.keyRings.create',
  keyRingsGet: 'cloudkms.keyRings.get',
  keyRingsList: 'cloudkms.keyRings.list',
  keyRingsGetIamPolicy: 'cloudkms.keyRings.getIamPolicy',
  keyRingsSetIamPolicy: 'cloudkms.keyRings.setIamPolicy',
  keysCreate: 'cloudkms.cryptoKeys.create',
  keysGet: 'cloudkms.cryptoKeys.get',
  keysList: 'cloudkms.cryptoKeys.list',
  keysUpdate: 'cloudkms.cryptoKeys.update',
  keysGetIamPolicy: 'cloudkms.cryptoKeys.getIamPolicy',
  keysSetIamPolicy: 'cloudkms.cryptoKeys.setIamPolicy',
  versionsCreate: 'cloudkms.cryptoKeyVersions.create',
  versionsGet: 'cloudkms.cryptoKeyVersions.get',
  versionsList: 'cloudkms.cryptoKeyVersions.list',
  versionsUpdate: 'cloudkms.cryptoKeyVersions.update',
  versionsDestroy: 'cloudkms.cryptoKeyVersions.destroy',
  versionsRestore: 'cloudkms.cryptoKeyVersions.restore',
  useToEncrypt: 'cloudkms.cryptoKeyVersions.useToEncrypt',
  useToDecrypt: 'cloudkms.cryptoKeyVersions.useToDecrypt',
} as const;

const all = Object.values(permissions);
const use = [permissions.useToEncrypt, permissions.useToDecrypt] as string[];

/** The predefined roles the fake knows. cloudkms.admin deliberately lacks the use permissions, as in GCP. */
const predefinedRoles: Record<string, readonly string[]> = {
  'roles/owner': all,
  'roles/cloudkms.admin': all.filter((p) => !use.includes(p)),
  'roles/cloudkms.viewer': all.filter((p) => /\.(get|list|getIamPolicy)$/.test(p)),
  'roles/cloudkms.cryptoKeyEncrypterDecrypter': [permissions.useToEncrypt, permissions.useToDecrypt],
  'roles/cloudkms.cryptoKeyEncrypter': [permissions.useToEncrypt],
  'roles/cloudkms.cryptoKeyDecrypter': [permissions.useToDecrypt],
};

const customRoleName = /^(projects|organizations)\/[^/]+\/roles\/[A-Za-z0-9_.]{3,64}$/;
const memberPattern =
  /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group):[^\s@]+@[^\s@]+|domain:[^\s@]+|deleted:\S+|principal:\/\/\S+|principalSet:\/\/\S+)$/;

export interface Binding {
  role: string;
  members: string[];
}

export interface PolicyRecord {
  version: number;
  bindings: Binding[];
  etag: Buffer;
}

/** The etag Google answers for a resource that has never had a policy. */
const emptyPolicyEtag = Buffer.from('ACAB', 'base64');

function memberMatches(member: string, caller: Caller): boolean {
  if (member === caller.member) return true;
  if (member === 'allUsers' || member === 'allAuthenticatedUsers') return true;
  if (member.startsWith('domain:') && caller.principalEmail) {
    return caller.principalEmail.toLowerCase().endsWith(`@${member.slice('domain:'.length).toLowerCase()}`);
  }
  // principalSet://…/workloadIdentityPools/POOL/* is every identity of the pool.
  if (member.startsWith('principalSet://') && member.endsWith('/*') && caller.principalSubject) {
    const poolPrefix = member.slice('principalSet://'.length, -1);
    return caller.principalSubject.slice('principal://'.length).startsWith(poolPrefix);
  }
  // group: members cannot be resolved: the fake has no directory, so they grant nothing.
  return false;
}

export class IamPolicies {
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly customRoles = new Map<string, readonly string[]>();

  /** owners: members that hold every permission everywhere, as a project owner does. */
  constructor(private readonly owners: ReadonlySet<string>) {}

  defineCustomRole(name: string, rolePermissions: readonly string[]): void {
    if (!customRoleName.test(name)) {
      throw new Error(`custom role '${name}' must look like projects/P/roles/ID or organizations/O/roles/ID`);
    }
    this.customRoles.set(name, [...rolePermissions]);
  }

  isOwner(caller: Caller): boolean {
    return caller.anonymousOwner || this.owners.has(caller.member);
  }

  policyOf(resource: string): PolicyRecord {
    return this.policies.get(resource) ?? { version: 1, bindings: [], etag: emptyPolicyEtag };
  }

  /**
   * Read-modify-write: a request etag that is not the current one is ABORTED and changes nothing; a
   * request without an etag overwrites, as the real API does.
   */
  setPolicy(
    resource: string,
    requested: { version?: number; bindings: Binding[]; etag?: Buffer },
  ): PolicyRecord {
    const current = this.policyOf(resource);
    if (requested.etag && requested.etag.length > 0 && !requested.etag.equals(current.etag)) {
      throw aborted(
        `There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '${requested.etag.toString('base64')}' did not match the current policy's ETag '${current.etag.toString('base64')}'.`,
      );
    }
    const version = requested.version ?? 1;
    if (![0, 1, 3].includes(version)) throw invalidArgument(`policy version ${version} is not 1 or 3`);
    for (const binding of requested.bindings) {
      if (!binding.role) throw invalidArgument('a binding has no role');
      if (!this.roleExists(binding.role)) {
        throw invalidArgument(`Role ${binding.role} is not supported for this resource.`);
      }
      for (const member of binding.members) {
        if (!memberPattern.test(member))
          throw invalidArgument(`Invalid member '${member}' in ${binding.role}`);
      }
    }
    const next: PolicyRecord = {
      version: Math.max(version, 1),
      // Google drops bindings left without members.
      bindings: requested.bindings
        .filter((b) => b.members.length > 0)
        .map((b) => ({ role: b.role, members: [...b.members] })),
      etag: randomBytes(8),
    };
    this.policies.set(resource, next);
    return next;
  }

  /** Whether the caller holds the permission through the policies of these resources (key, then ring). */
  allows(caller: Caller, permission: string, policyResources: readonly string[]): boolean {
    if (this.isOwner(caller)) return true;
    return policyResources.some((resource) =>
      this.policyOf(resource).bindings.some(
        (b) =>
          this.permissionsOfRole(b.role).includes(permission) &&
          b.members.some((m) => memberMatches(m, caller)),
      ),
    );
  }

  private roleExists(role: string): boolean {
    return role in predefinedRoles || this.customRoles.has(role);
  }

  private permissionsOfRole(role: string): readonly string[] {
    return predefinedRoles[role] ?? this.customRoles.get(role) ?? [];
  }
}
