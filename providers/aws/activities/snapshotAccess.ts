// The runbook's "snapshot before you change anything": everything a revocation method could remove from
// the key and the customer role OpenAI assumes, read-only, so `restore` can put exactly it back and the
// plan can name who else the key and the role serve. The readers are shared by revoke and restore, which
// always decide from the current state, never from memory.
import { allInOrder } from '../../../common/allInOrder';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  ListGrantsCommand,
  type GrantListEntry,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { AwsAccessSnapshot, AwsGrantSnapshot } from '../request';
import type { AwsClients } from './clients';
import { toAwsFailure } from './errors';
import { decodePolicyText, keysAllowedBy, parsePolicy, principalsAllowedBy } from './policyEdits';

/** An IAM role ARN ends with its path and name (arn:aws:iam::ACCOUNT:role/PATH/NAME); the API wants the name. */
export function roleNameOf(roleArn: string): string {
  return roleArn.split('/').pop() ?? roleArn;
}

export interface KeyState {
  arn: string;
  /** The bare key id: moto answers 500 to DisableKey, EnableKey and the deletion calls given an ARN. */
  keyId: string;
  state: string;
  deletionDate?: Date;
}

export async function readKey(kms: KMSClient, keyArn: string): Promise<KeyState> {
  const { KeyMetadata: meta } = await kms.send(new DescribeKeyCommand({ KeyId: keyArn }));
  if (!meta?.Arn || !meta.KeyId)
    throw new Error(`DescribeKey answered without the key's ARN and id for ${keyArn}`);
  return {
    arn: meta.Arn,
    keyId: meta.KeyId,
    state: meta.KeyState ?? 'Unknown',
    deletionDate: meta.DeletionDate,
  };
}

/** KMS: a key has exactly one key policy, named `default`. */
export async function readKeyPolicy(kms: KMSClient, keyId: string): Promise<string> {
  const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
  if (Policy === undefined) throw new Error(`GetKeyPolicy answered without a policy for ${keyId}`);
  return Policy;
}

export async function readTrustPolicy(iam: IAMClient, roleName: string): Promise<string> {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  if (!Role?.AssumeRolePolicyDocument)
    throw new Error(`GetRole answered without a trust policy for ${roleName}`);
  return decodePolicyText(Role.AssumeRolePolicyDocument);
}

/** Every inline policy of the role with its document (decoded), by name. */
export async function readInlinePolicies(
  iam: IAMClient,
  roleName: string,
): Promise<{ name: string; document: string }[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    names.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  // Each document is read at once (the list is the role's state; the documents are independent reads).
  return Promise.all(
    names.sort().map(async (name) => {
      const { PolicyDocument } = await iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
      );
      return { name, document: decodePolicyText(PolicyDocument ?? '{}') };
    }),
  );
}

export async function readAttachedPolicies(
  iam: IAMClient,
  roleName: string,
): Promise<{ arn: string; name: string }[]> {
  const attached: { arn: string; name: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const p of page.AttachedPolicies ?? [])
      if (p.PolicyArn) attached.push({ arn: p.PolicyArn, name: p.PolicyName ?? p.PolicyArn });
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return attached.sort((a, b) => a.arn.localeCompare(b.arn));
}

/** A managed policy's document is its default version's. */
export async function readManagedPolicyDocument(iam: IAMClient, policyArn: string): Promise<string> {
  const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
  const { PolicyVersion } = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: Policy?.DefaultVersionId }),
  );
  return decodePolicyText(PolicyVersion?.Document ?? '{}');
}

export async function readGrants(kms: KMSClient, keyId: string): Promise<GrantListEntry[]> {
  const grants: GrantListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListGrantsCommand({ KeyId: keyId, Marker: marker }));
    grants.push(...(page.Grants ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return grants;
}

export function toGrantSnapshot(g: GrantListEntry): AwsGrantSnapshot {
  const constraints = g.Constraints;
  const hasConstraints =
    constraints !== undefined &&
    (constraints.EncryptionContextEquals !== undefined || constraints.EncryptionContextSubset !== undefined);
  return {
    grantId: g.GrantId ?? '',
    ...(g.Name ? { name: g.Name } : {}),
    granteePrincipal: g.GranteePrincipal ?? '',
    ...(g.RetiringPrincipal ? { retiringPrincipal: g.RetiringPrincipal } : {}),
    operations: [...(g.Operations ?? [])],
    ...(hasConstraints ? { constraints } : {}),
  };
}

export interface SnapshotRequest {
  keyArn: string;
  roleArn: string;
}

export function snapshotAwsAccessActivity(clients: AwsClients) {
  return async function snapshotAwsAccess({ keyArn, roleArn }: SnapshotRequest): Promise<AwsAccessSnapshot> {
    try {
      const { kms, iam } = clients;
      const takenAt = new Date().toISOString();
      const roleName = roleNameOf(roleArn);
      // The key's side and the role's are independent reads, made at once: the snapshot is read right
      // after an approval and right before the change, so its time is the approval's wait (bench (b)).
      const keySide = async () => {
        const key = await readKey(kms, keyArn);
        const [keyPolicy, allGrants] = await allInOrder([
          readKeyPolicy(kms, key.keyId),
          readGrants(kms, key.keyId),
        ]);
        return { key, keyPolicy, allGrants };
      };
      const [{ key, keyPolicy, allGrants }, trustPolicy, inlinePolicies, attachedPolicies] = await allInOrder(
        [
          keySide(),
          readTrustPolicy(iam, roleName),
          readInlinePolicies(iam, roleName),
          readAttachedPolicies(iam, roleName),
        ],
      );

      const grants = allGrants
        .filter((g) => g.GranteePrincipal === roleArn)
        .map(toGrantSnapshot)
        .sort((a, b) => a.grantId.localeCompare(b.grantId));
      // Blast radius: whoever else the key policy or a grant lets use the key loses it with disable-key.
      const otherKeyPrincipals = new Set(principalsAllowedBy(parsePolicy(keyPolicy), roleArn));
      for (const g of allGrants)
        if (g.GranteePrincipal && g.GranteePrincipal !== roleArn) otherKeyPrincipals.add(g.GranteePrincipal);
      // ... and every other key the role may use stops working for OpenAI with remove-trust.
      const roleDocuments = [
        ...inlinePolicies.map((p) => p.document),
        ...(await Promise.all(attachedPolicies.map((p) => readManagedPolicyDocument(iam, p.arn)))),
      ];
      const otherKeys = new Set(roleDocuments.flatMap((d) => keysAllowedBy(parsePolicy(d))));
      otherKeys.delete(key.arn);

      return {
        takenAt,
        key: { arn: key.arn, keyId: key.keyId, state: key.state, policy: keyPolicy },
        role: { arn: roleArn, name: roleName, trustPolicy, inlinePolicies, attachedPolicies },
        grants,
        otherKeyPrincipals: [...otherKeyPrincipals].sort(),
        otherKeysTheRoleCanUse: [...otherKeys].sort(),
      };
    } catch (err) {
      throw toAwsFailure(err, `snapshot of ${roleArn}'s access to ${keyArn}`);
    }
  };
}
