// IAM policies on Cloud KMS keys and key rings, edited the way Google asks: read the policy (version 3,
// so conditional bindings come back whole), change only what ekm means to change, write it with the etag
// read. A concurrent edit makes the write fail with ABORTED and change nothing; the edit is then redone
// on a fresh read, a few times, before the failure is left to the activity's retry policy.
import type { KeyManagementServiceClient } from '@google-cloud/kms';

export const encrypterDecrypterRole = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';
export const useToEncrypt = 'cloudkms.cryptoKeyVersions.useToEncrypt';
export const useToDecrypt = 'cloudkms.cryptoKeyVersions.useToDecrypt';

/**
 * What the predefined roles ekm knows let a member do with a key's material. A role not listed here —
 * a custom role, which is how OpenAI's setup grants it — may give either; IAM's roles API would say, and
 * the worker does not call it.
 */
export const useOfPredefinedRole: Readonly<Record<string, readonly string[]>> = {
  'roles/owner': [useToEncrypt, useToDecrypt],
  [encrypterDecrypterRole]: [useToEncrypt, useToDecrypt],
  'roles/cloudkms.cryptoKeyEncrypter': [useToEncrypt],
  'roles/cloudkms.cryptoKeyDecrypter': [useToDecrypt],
  'roles/cloudkms.admin': [],
  'roles/cloudkms.viewer': [],
};

export interface IamCondition {
  title?: string | null;
  expression?: string | null;
  description?: string | null;
}

export interface IamBinding {
  role: string;
  members: string[];
  /** A conditional binding is kept as it is: ekm only edits unconditional ones. */
  condition?: IamCondition | null;
}

export interface IamPolicy {
  version: number;
  bindings: IamBinding[];
  etag?: Uint8Array | string | null;
}

type Req<M extends 'getIamPolicy' | 'setIamPolicy'> = Parameters<KeyManagementServiceClient[M]>[0];

/** The client types IAM requests as generated message classes, though it takes plain objects. */
export async function readIamPolicy(kms: KeyManagementServiceClient, resource: string): Promise<IamPolicy> {
  const [policy] = await kms.getIamPolicy({
    resource,
    options: { requestedPolicyVersion: 3 },
  } as Req<'getIamPolicy'>);
  return {
    version: policy.version ?? 1,
    bindings: (policy.bindings ?? []).map((b) => ({
      role: b.role ?? '',
      members: [...(b.members ?? [])],
      ...(b.condition ? { condition: b.condition } : {}),
    })),
    etag: policy.etag as IamPolicy['etag'],
  };
}

async function writeIamPolicy(
  kms: KeyManagementServiceClient,
  resource: string,
  policy: IamPolicy,
): Promise<IamPolicy> {
  const [written] = await kms.setIamPolicy({ resource, policy } as Req<'setIamPolicy'>);
  return {
    version: written.version ?? 1,
    bindings: (written.bindings ?? []).map((b) => ({ role: b.role ?? '', members: [...(b.members ?? [])] })),
    etag: written.etag as IamPolicy['etag'],
  };
}

const aborted = 10;
const etagAttempts = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PolicyEdit {
  /** The policy the (last) edit was decided on. */
  before: IamPolicy;
  /** The policy as written; absent when the edit found nothing to change. */
  after?: IamPolicy;
  /** How many writes were refused for a stale etag before this one went through. */
  staleEtags: number;
}

/**
 * Read-modify-write. `edit` gets the current bindings and returns the new ones, or undefined when the
 * policy already is as wanted (then nothing is written). It is called again on every fresh read.
 */
export async function editIamPolicy(
  kms: KeyManagementServiceClient,
  resource: string,
  edit: (bindings: IamBinding[]) => IamBinding[] | undefined,
): Promise<PolicyEdit> {
  for (let attempt = 1; ; attempt++) {
    const before = await readIamPolicy(kms, resource);
    const bindings = edit(before.bindings.map((b) => ({ ...b, members: [...b.members] })));
    if (!bindings) return { before, staleEtags: attempt - 1 };
    // A policy that now holds a condition must say version 3, or Google refuses it.
    const version = bindings.some((b) => b.condition) ? 3 : before.version;
    try {
      const after = await writeIamPolicy(kms, resource, {
        version,
        bindings: bindings.filter((b) => b.members.length > 0),
        etag: before.etag,
      });
      return { before, after, staleEtags: attempt - 1 };
    } catch (err) {
      if ((err as { code?: number }).code !== aborted || attempt >= etagAttempts) throw err;
      await sleep(50 * attempt);
    }
  }
}

/** principal://…/workloadIdentityPools/POOL/subject/S, serviceAccount:E, user:E, … as IAM writes them. */
const memberPattern =
  /^((user|serviceAccount|group):[^\s@]+@[^\s@]+|domain:[^\s@]+|principal:\/\/\S+|principalSet:\/\/\S+)$/;

export function isIamMember(value: string): boolean {
  return memberPattern.test(value);
}

/**
 * Whether a binding's member takes in the principal: the principal itself, everyone, the principal's
 * email domain, or the workload identity pool it belongs to (principalSet://…/POOL/*). Groups cannot be
 * resolved without a directory: they are not counted.
 */
export function memberCovers(member: string, principal: string): boolean {
  if (member === principal) return true;
  if (member === 'allUsers' || member === 'allAuthenticatedUsers') return true;
  const email = /^(?:user|serviceAccount):(\S+@(\S+))$/.exec(principal);
  if (email && member.startsWith('domain:'))
    return email[2]!.toLowerCase() === member.slice('domain:'.length).toLowerCase();
  if (member.startsWith('principalSet://') && member.endsWith('/*') && principal.startsWith('principal://')) {
    const pool = member.slice('principalSet://'.length, -1);
    return principal.slice('principal://'.length).startsWith(pool);
  }
  return false;
}
