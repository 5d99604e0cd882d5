// `npm start -- --keys N` (or EKM_SANDBOX_KEYS=N): N more keys beside the demo ones, shaped like an
// incident's fleet — AWS keys in moto across two accounts and two regions, behind a few customer roles per
// account that several keys share, and one key in four in the Cloud KMS fake — each registered with the
// twin's organisation, with a project and its probes. Written to .data/sandbox-keys.json for the CLI and
// the benchmarks. Seeded in stages, each in parallel within a bound: roles, keys, the roles' policies (one
// write per role, naming all its keys), then the registrations and projects.
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { GcpKmsFake } from './gcp/kmsFake';
import {
  admin,
  kmsPolicyFor,
  sandboxAwsCredentials,
  seedDemoProject,
  trustPolicyFor,
  type DemoProject,
} from './openai/demo';
import { seedGcpDemo } from './openai/gcpDemo';
import { withMotoAccount } from './openai/aws/motoAccount';
import type { OpenAiTwin } from './openai/twin';

/** The accounts and regions the keys are spread over (moto keeps one world per account). */
export const scaleAccounts = ['111111111111', '222222222222'] as const;
export const scaleRegions = ['us-east-1', 'eu-west-1'] as const;
/** Customer roles per account; each is shared by every key of its account with the same number mod this. */
export const rolesPerAccount = 3;
/** The role a worker assumes in each account (moto hands out that account's credentials for it). */
export const sandboxWorkerRole = (account: string) => `arn:aws:iam::${account}:role/ekm-sandbox-worker`;

interface ScaleKeyCommon {
  /** `scale-1`, `scale-2`, … in seeding order. */
  name: string;
  externalKeyId: string;
  projects: Omit<DemoProject, 'apiKey'>[];
}

export type ScaleKey =
  | (ScaleKeyCommon & { provider: 'aws'; keyArn: string; account: string; region: string; roleArn: string })
  | (ScaleKeyCommon & { provider: 'gcp'; keyName: string; principal: string });

/** Each project's API key stays out of the file: it reaches the worker through its environment. */
export interface SeededScaleKeys {
  keys: ScaleKey[];
  projectApiKeys: { projectId: string; apiKey: string }[];
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of the results. */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, i: number) => Promise<R>,
) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Where the i-th AWS key goes: accounts alternate, then regions, then the account's roles. */
function placeOf(i: number, roles: number, rolePrefix: string) {
  const account = scaleAccounts[i % scaleAccounts.length]!;
  const region = scaleRegions[Math.floor(i / scaleAccounts.length) % scaleRegions.length]!;
  const role = Math.floor(i / (scaleAccounts.length * scaleRegions.length)) % roles;
  return { account, region, roleName: `${rolePrefix}-${role + 1}` };
}

export async function seedScaleKeys(options: {
  /** moto itself, not the quota proxy: seeding is not what the quotas measure. */
  motoEndpoint: string;
  fake: GcpKmsFake;
  twin: OpenAiTwin;
  count: number;
  concurrency?: number;
  /** Customer roles per account (default rolesPerAccount); 1 puts every key of an account behind one role. */
  rolesPerAccount?: number;
  /** The shared roles' names are `<prefix>-1`, `<prefix>-2`, … (default ekm-shared): several seedings of one moto need their own. */
  rolePrefix?: string;
}): Promise<SeededScaleKeys> {
  const limit = options.concurrency ?? 8;
  const gcpCount = Math.floor(options.count / 4);
  const awsCount = options.count - gcpCount;
  const orgId = options.twin.store.data.orgId;
  const clients = new Map<string, { kms: KMSClient; iam: IAMClient }>();
  const clientsFor = (account: string, region: string) => {
    const id = `${account}/${region}`;
    let made = clients.get(id);
    if (!made) {
      const config = { endpoint: options.motoEndpoint, region, credentials: sandboxAwsCredentials };
      made = {
        kms: withMotoAccount(new KMSClient(config), account),
        iam: withMotoAccount(new IAMClient(config), account),
      };
      clients.set(id, made);
    }
    return made;
  };
  try {
    const places = Array.from({ length: awsCount }, (_, i) =>
      placeOf(i, options.rolesPerAccount ?? rolesPerAccount, options.rolePrefix ?? 'ekm-shared'),
    );
    const roles = [...new Map(places.map((p) => [`${p.account}/${p.roleName}`, p])).values()];
    const roleArns = new Map<string, string>();
    await inParallel(roles, limit, async (p) => {
      const { Role } = await clientsFor(p.account, 'us-east-1').iam.send(
        new CreateRoleCommand({
          RoleName: p.roleName,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor(orgId)),
        }),
      );
      roleArns.set(`${p.account}/${p.roleName}`, Role!.Arn!);
    });
    const keyArns = await inParallel(places, limit, async (p, i) => {
      const { KeyMetadata } = await clientsFor(p.account, p.region).kms.send(
        new CreateKeyCommand({
          Description: `ekm sandbox: scale key ${i + 1}`,
          Tags: [{ TagKey: 'ekm:sandbox', TagValue: 'scale' }],
        }),
      );
      return KeyMetadata!.Arn!;
    });
    // One policy write per role, naming every key it may use (a customer's shared role, as it would be).
    await inParallel(roles, limit, async (p) => {
      const mine = keyArns.filter(
        (_, i) => places[i]!.account === p.account && places[i]!.roleName === p.roleName,
      );
      await clientsFor(p.account, 'us-east-1').iam.send(
        new PutRolePolicyCommand({
          RoleName: p.roleName,
          PolicyName: 'openai-kms',
          PolicyDocument: JSON.stringify(kmsPolicyFor(mine)),
        }),
      );
    });
    const asAdmin = { url: options.twin.url, adminKey: options.twin.store.data.adminKey };
    const projectApiKeys: SeededScaleKeys['projectApiKeys'] = [];
    const keepProjects = (projects: DemoProject[]) =>
      projects.map(({ apiKey, ...project }) => {
        projectApiKeys.push({ projectId: project.id, apiKey });
        return project;
      });
    // Registrations and probes: nothing else changes moto meanwhile, so the twin reads each role and key once.
    const aws = await options.twin.whileSeeding(() =>
      inParallel(places, limit, async (p, i): Promise<ScaleKey> => {
        const name = `scale-${i + 1}`;
        const roleArn = roleArns.get(`${p.account}/${p.roleName}`)!;
        const external = await admin<{ id: string }>(asAdmin, 'POST', '/v1/organization/external_keys', {
          type: 'aws',
          name: `ekm-${name}`,
          role_arn: roleArn,
          kms_arn: keyArns[i]!,
          external_id: orgId,
        });
        const project = await seedDemoProject(options.twin, external.id, `ekm-${name}`);
        return {
          name,
          provider: 'aws',
          keyArn: keyArns[i]!,
          account: p.account,
          region: p.region,
          roleArn,
          externalKeyId: external.id,
          projects: keepProjects([project]),
        };
      }),
    );
    const gcp = await inParallel(Array.from({ length: gcpCount }), limit, async (_, i): Promise<ScaleKey> => {
      const name = `scale-${awsCount + i + 1}`;
      const demo = await seedGcpDemo({ fake: options.fake, twin: options.twin, suffix: `-${name}` });
      return {
        name,
        provider: 'gcp',
        keyName: demo.keyName,
        principal: demo.principal,
        externalKeyId: demo.externalKeyId,
        projects: keepProjects(demo.projects),
      };
    });
    return { keys: [...aws, ...gcp], projectApiKeys };
  } finally {
    for (const { kms, iam } of clients.values()) {
      kms.destroy();
      iam.destroy();
    }
  }
}
