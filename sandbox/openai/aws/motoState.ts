// Reads, from what moto holds, everything AWS would weigh when OpenAI's role uses a customer key: the
// customer role's trust and identity policies, the key's state, policy and grants.
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, ListGrantsCommand } from '@aws-sdk/client-kms';
import type { AwsAccessState, PolicyDocument } from './accessDecision';

/** IAM returns policy documents URL-encoded (moto sometimes plain): accept both. */
export function parsePolicy(text: string): PolicyDocument {
  const trimmed = text.trim();
  return JSON.parse(trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed)) as PolicyDocument;
}

function notFound(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchEntityException' || name === 'NotFoundException' || name === 'NoSuchEntity';
}

export interface AwsClientsForTwin {
  iam: IAMClient;
  kms: KMSClient;
}

async function loadRole(iam: IAMClient, roleArn: string): Promise<AwsAccessState['customerRole']> {
  const roleName = roleArn.split('/').pop()!;
  let trust: string | undefined;
  try {
    trust = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.AssumeRolePolicyDocument;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
  // The inline and the attached policies are independent reads, made at once (a real KMS call is one
  // round trip; the twin's emulation of its access decision should not cost twenty in a row).
  const inline = async () => {
    const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    return Promise.all(
      PolicyNames.map(
        async (PolicyName) =>
          (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))).PolicyDocument,
      ),
    );
  };
  const attached = async () => {
    const { AttachedPolicies = [] } = await iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
    );
    return Promise.all(
      AttachedPolicies.map(async ({ PolicyArn }) => {
        const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn }));
        const { PolicyVersion } = await iam.send(
          new GetPolicyVersionCommand({ PolicyArn, VersionId: Policy?.DefaultVersionId }),
        );
        return PolicyVersion?.Document;
      }),
    );
  };
  const documents = (await Promise.all([inline(), attached()])).flat();
  const policies = documents.filter((d): d is string => d !== undefined && d !== '').map(parsePolicy);
  return { arn: roleArn, trustPolicy: parsePolicy(trust ?? '{"Statement":[]}'), policies };
}

async function loadKey(kms: KMSClient, keyRef: string): Promise<AwsAccessState['key']> {
  let meta;
  try {
    meta = (await kms.send(new DescribeKeyCommand({ KeyId: keyRef }))).KeyMetadata;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
  if (!meta?.Arn || !meta.KeyId) return undefined;
  const keyId = meta.KeyId;
  const listGrants = async () => {
    const grants: { granteePrincipal: string; operations: string[] }[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListGrantsCommand({ KeyId: keyId, Marker: marker }));
      for (const g of page.Grants ?? [])
        grants.push({ granteePrincipal: g.GranteePrincipal ?? '', operations: g.Operations ?? [] });
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return grants;
  };
  const [{ Policy }, grants] = await Promise.all([
    kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })),
    listGrants(),
  ]);
  return {
    arn: meta.Arn,
    state: meta.KeyState ?? 'Unknown',
    policy: Policy ? parsePolicy(Policy) : undefined,
    grants,
  };
}

export async function loadAwsAccessState(
  clients: AwsClientsForTwin,
  vendor: { roleArn: string; externalId: string },
  roleArn: string,
  keyRef: string,
): Promise<AwsAccessState> {
  const [customerRole, key] = await Promise.all([
    loadRole(clients.iam, roleArn),
    loadKey(clients.kms, keyRef),
  ]);
  return { vendorRoleArn: vendor.roleArn, externalId: vendor.externalId, customerRole, key };
}
