// What a responder scripts from the runbook for one key, without ekm: read the key's state, add the Deny to
// its key policy, wait out OpenAI's key cache, check the key no longer validates and the probes are
// denied, archive its projects, then the replacement — a new key, a role for it, registered with OpenAI,
// two projects on it. Plain SDK calls with the SDKs' default retries (AWS SDK: standard, 3 attempts;
// openai-node: 2 retries honouring Retry-After), no quota of its own. The benchmark's peers (sequential.ts,
// naiveParallel.ts) run it one key after another or all at once.
//
// "The same calls": each read action is topped up to the count a fleet child made of it per key (the
// `profile`, measured from the quota layer's counts in the same run), so the peers spend the same quotas.
import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import OpenAI from 'openai';
import {
  kmsPolicyFor,
  sandboxAwsCredentials,
  trustPolicyFor,
  type DemoOrganisation,
} from '../../sandbox/openai/demo';

export interface PeerSettings {
  /** The quota layer's proxy in front of moto. */
  awsEndpoint: string;
  /** The OpenAI twin (Admin API, data plane, and CloudTrail's LookupEvents). */
  twinUrl: string;
  adminKey: string;
  cacheWaitSeconds: number;
  /** Calls per key per action a fleet child made (calls answered, throttled ones left out). */
  profile: Record<string, number>;
}

export interface PeerClients {
  kms: KMSClient;
  iam: IAMClient;
  trail: CloudTrailClient;
  admin: OpenAI;
  close(): void;
}

/** One set of clients for the whole script, as a script would make them (the SDKs' defaults). */
export function peerClients(s: PeerSettings): PeerClients {
  const aws = { endpoint: s.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials };
  const kms = new KMSClient(aws);
  const iam = new IAMClient(aws);
  const trail = new CloudTrailClient({ ...aws, endpoint: s.twinUrl });
  const admin = new OpenAI({ apiKey: s.adminKey, baseURL: `${s.twinUrl}/v1` });
  return { kms, iam, trail, admin, close: () => [kms, iam, trail].forEach((c) => c.destroy()) };
}

/** How a key's script ended: done, or the call that failed it (after the SDK's own retries). */
export interface PeerOutcome {
  keyArn: string;
  ok: boolean;
  /** The failing call was refused for throttling (AWS Throttling*, HTTP 429). */
  throttled?: boolean;
  error?: string;
}

export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; status?: number; $metadata?: { httpStatusCode?: number } };
  return /Throttl/i.test(e.name ?? '') || e.status === 429 || e.$metadata?.httpStatusCode === 429;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the runbook for one key; never throws: a failure is the outcome. */
export async function revokeByScript(
  c: PeerClients,
  s: PeerSettings,
  o: DemoOrganisation,
  tag: string,
): Promise<PeerOutcome> {
  const made = new Map<string, number>();
  const count = (action: string) => made.set(action, (made.get(action) ?? 0) + 1);
  const { keyArn, roleArn, externalId: orgId } = o.aws;
  const roleName = roleArn.split('/').pop()!;
  const projectIds = o.openai.projects.map((p) => p.id);
  const extKey = o.openai.externalKeyId;
  // The reads, by the action the quota layer names them.
  const reads: Record<string, () => Promise<unknown>> = {
    'kms:DescribeKey': () => c.kms.send(new DescribeKeyCommand({ KeyId: keyArn })),
    'kms:GetKeyPolicy': () => c.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' })),
    'kms:ListGrants': () => c.kms.send(new ListGrantsCommand({ KeyId: keyArn })),
    'kms:ListResourceTags': () => c.kms.send(new ListResourceTagsCommand({ KeyId: keyArn })),
    'kms:ListKeys': () => c.kms.send(new ListKeysCommand({})),
    'iam:GetRole': () => c.iam.send(new GetRoleCommand({ RoleName: roleName })),
    'iam:GetRolePolicy': () =>
      c.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'openai-kms' })),
    'iam:ListRolePolicies': () => c.iam.send(new ListRolePoliciesCommand({ RoleName: roleName })),
    'iam:ListAttachedRolePolicies': () =>
      c.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName })),
    'cloudtrail:LookupEvents': () =>
      c.trail.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }],
          StartTime: new Date(Date.now() - 86_400_000),
          EndTime: new Date(),
        }),
      ),
    'openai:admin GET /v1/organization/external_keys': () => c.admin.get('/organization/external_keys'),
    'openai:admin GET /v1/organization/external_keys/*': () =>
      c.admin.get(`/organization/external_keys/${extKey}`),
    'openai:admin GET /v1/organization/projects': () => c.admin.get('/organization/projects'),
    'openai:admin GET /v1/organization/projects/*': () =>
      c.admin.get(`/organization/projects/${projectIds[0]}`),
  };
  const read = async (action: string) => {
    count(action);
    await reads[action]!();
  };
  /** Tops each read up to the fleet child's count (`only`: these actions; else every read but validate). */
  const topUp = async (only?: string[]) => {
    for (const action of only ?? Object.keys(reads))
      while ((made.get(action) ?? 0) < (s.profile[action] ?? 0)) await read(action);
  };
  const validate = async (): Promise<boolean> => {
    count('openai:admin POST /v1/organization/external_keys/*/validate');
    try {
      await c.admin.post(`/organization/external_keys/${extKey}/validate`);
      return true;
    } catch (err) {
      if (isThrottling(err)) throw err;
      return false; // the key no longer validates: what the revocation wants
    }
  };
  const probe = async (p: DemoOrganisation['openai']['projects'][number]) => {
    const data = new OpenAI({ apiKey: p.apiKey, baseURL: `${s.twinUrl}/v1` });
    const denied = (call: Promise<unknown>, action: string) => {
      count(action);
      return call.then(
        () => false,
        (err: unknown) => {
          if (isThrottling(err)) throw err;
          return true;
        },
      );
    };
    return (
      await Promise.all([
        denied(data.files.content(p.probes.fileId), 'openai:GET /v1/files/*/content'),
        denied(data.responses.retrieve(p.probes.responseId), 'openai:GET /v1/responses/*'),
        denied(data.models.retrieve(p.probes.fineTunedModel), 'openai:GET /v1/models/*'),
      ])
    ).every(Boolean);
  };
  try {
    // 1. The state before: key, its policy, the role, who used the key, what OpenAI has on it.
    await topUp();
    await validate();
    // 2. The change: a Deny of the key's use for the role OpenAI assumes, added to the key policy.
    const { Policy } = await c.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }));
    count('kms:GetKeyPolicy');
    const policy = JSON.parse(Policy!) as { Statement: unknown[] };
    policy.Statement.push({
      Sid: 'EkmRevokeOpenAI',
      Effect: 'Deny',
      Principal: { AWS: roleArn },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Resource: '*',
    });
    count('kms:PutKeyPolicy');
    await c.kms.send(
      new PutKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default', Policy: JSON.stringify(policy) }),
    );
    // 3. OpenAI keeps plain data keys cached: wait it out.
    await sleep(s.cacheWaitSeconds * 1000);
    // 4. Verify: the key fails validation twice in a row and every probe is denied.
    for (let failures = 0; failures < 2;) {
      failures = (await validate()) ? 0 : failures + 1;
      if (failures < 2) await sleep(1000);
    }
    for (let round = 0; ; round++) {
      const results = await Promise.all(o.openai.projects.map(probe));
      count('openai:GET /v1/models');
      await new OpenAI({ apiKey: o.openai.projects[0]!.apiKey, baseURL: `${s.twinUrl}/v1` }).models
        .list()
        .catch((err: unknown) => {
          if (isThrottling(err)) throw err;
        });
      if (results.every(Boolean)) break;
      if (round > 30) throw new Error(`${keyArn}: the probes were still readable after ${round} rounds`);
      await sleep(1000);
    }
    // 5. Archive the key's projects.
    for (const id of projectIds) {
      count('openai:admin POST /v1/organization/projects/*/archive');
      await c.admin.post(`/organization/projects/${id}/archive`);
    }
    // 6. The replacement: a key, a role OpenAI may assume for it, registered, two projects on it.
    count('kms:CreateKey');
    const { KeyMetadata: key } = await c.kms.send(
      new CreateKeyCommand({
        Description: `replacement for ${keyArn}`,
        Tags: [{ TagKey: 'ekm:replaces', TagValue: keyArn }],
      }),
    );
    const newRole = `${roleName}-r-${tag}`.slice(0, 64);
    count('iam:CreateRole');
    const { Role } = await c.iam.send(
      new CreateRoleCommand({
        RoleName: newRole,
        AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor(orgId)),
      }),
    );
    count('iam:PutRolePolicy');
    await c.iam.send(
      new PutRolePolicyCommand({
        RoleName: newRole,
        PolicyName: 'openai-kms',
        PolicyDocument: JSON.stringify(kmsPolicyFor(key!.Arn!)),
      }),
    );
    count('openai:admin POST /v1/organization/external_keys');
    const registered = await c.admin.post<{ id: string }>('/organization/external_keys', {
      body: {
        type: 'aws',
        name: `replacement-${tag}`,
        role_arn: Role!.Arn!,
        kms_arn: key!.Arn!,
        external_id: orgId,
      },
    });
    for (const [i] of projectIds.entries()) {
      count('openai:admin POST /v1/organization/projects');
      await c.admin.post('/organization/projects', {
        body: { name: `replacement-${tag}-${i}`, external_key_id: registered.id },
      });
    }
    // The remaining validate calls a fleet child makes (it confirms the new key validates, too).
    while (
      (made.get('openai:admin POST /v1/organization/external_keys/*/validate') ?? 0) <
      (s.profile['openai:admin POST /v1/organization/external_keys/*/validate'] ?? 0)
    ) {
      count('openai:admin POST /v1/organization/external_keys/*/validate');
      await c.admin.post(`/organization/external_keys/${registered.id}/validate`);
    }
    return { keyArn, ok: true };
  } catch (err) {
    return { keyArn, ok: false, throttled: isThrottling(err), error: String(err).slice(0, 300) };
  }
}
