// The keys `npm start` seeds: several per cloud, so revocations can be rehearsed side by side. Each key is
// one demo as the single-key sandbox had it — in moto a key and its own customer role, or in the Cloud KMS
// fake a key (in its own ring) bound to OpenAI's principal — with its own registration in the twin and its
// own projects and probes. The first of each cloud keeps the names the README and the tests use.
import type { GcpKmsFake } from './gcp/kmsFake';
import { seedDemoOrganisation, type DemoOrganisation, type DemoProject } from './openai/demo';
import { seedGcpDemo, type GcpDemo } from './openai/gcpDemo';
import type { OpenAiTwin } from './openai/twin';

/** Enough to run two revocations at once per cloud, and to see that one leaves the other key alone. */
export const demoKeysPerCloud = 2;

interface SeededKeyCommon {
  /** `aws-1`, `gcp-2`, …: also the name of its command in .data/revoke-examples/. */
  name: string;
  externalKeyId: string;
  projects: DemoProject[];
  /** The ready `ekm revoke start` command for this key (`revoke plan` takes the same flags). */
  revokeExample: string;
}

export type SeededKey =
  | (SeededKeyCommon & { provider: 'aws'; keyArn: string; keyAlias: string; roleArn: string })
  | (SeededKeyCommon & { provider: 'gcp'; keyName: string; principal: string });

export interface DemoKeys {
  aws: DemoOrganisation[];
  gcp: GcpDemo[];
}

/** The first demo of a cloud keeps the unsuffixed names; the n-th is suffixed `-n`. */
const suffixFor = (index: number) => (index === 0 ? '' : `-${index + 1}`);

export async function seedDemoKeys(options: {
  awsEndpoint: string;
  fake: GcpKmsFake;
  twin: OpenAiTwin;
  perCloud?: number;
}): Promise<DemoKeys> {
  const keys: DemoKeys = { aws: [], gcp: [] };
  // One at a time: the twin's state file is written after each change.
  for (let i = 0; i < (options.perCloud ?? demoKeysPerCloud); i++) {
    const suffix = suffixFor(i);
    keys.aws.push(
      await seedDemoOrganisation({ awsEndpoint: options.awsEndpoint, twin: options.twin, suffix }),
    );
    // The fake's Data Access log (on) records OpenAI's Encrypts of each key's probes.
    keys.gcp.push(await seedGcpDemo({ fake: options.fake, twin: options.twin, suffix }));
  }
  return keys;
}

/**
 * Every seeded key in the order it was seeded, a round per cloud (aws-1, gcp-1, aws-2, gcp-2, …), with
 * where its revoke command is written.
 */
export function listSeededKeys(keys: DemoKeys, exampleFile: (name: string) => string): SeededKey[] {
  const list: SeededKey[] = [];
  for (let i = 0; i < Math.max(keys.aws.length, keys.gcp.length); i++) {
    const aws = keys.aws[i];
    const gcp = keys.gcp[i];
    if (aws)
      list.push({
        name: `aws-${i + 1}`,
        provider: 'aws',
        keyArn: aws.aws.keyArn,
        keyAlias: aws.aws.keyAlias,
        roleArn: aws.aws.roleArn,
        externalKeyId: aws.openai.externalKeyId,
        projects: aws.openai.projects,
        revokeExample: exampleFile(`aws-${i + 1}`),
      });
    if (gcp)
      list.push({
        name: `gcp-${i + 1}`,
        provider: 'gcp',
        keyName: gcp.keyName,
        principal: gcp.principal,
        externalKeyId: gcp.externalKeyId,
        projects: gcp.projects,
        revokeExample: exampleFile(`gcp-${i + 1}`),
      });
  }
  return list;
}

/** What a key's revocation names: the key (an alias or its ARN), who loses access, its projects and probes. */
export type RevocationTarget = (
  | { provider: 'aws'; keyAlias: string; roleArn: string }
  | { provider: 'gcp'; keyName: string; principal: string }
) & { externalKeyId: string; projects: Pick<DemoProject, 'id' | 'probes'>[] };

/** The flags that name a key's revocation: the key, who loses access, and every project and probe on it. */
export function revokeFlagsFor(key: RevocationTarget): string[] {
  const target =
    key.provider === 'aws'
      ? [`--key ${key.keyAlias}`, `--role ${key.roleArn}`, '--method key-policy-deny']
      : [
          '--provider gcp',
          `--key-name ${key.keyName}`,
          `--principal ${key.principal}`,
          '--method remove-binding',
        ];
  return [
    ...target,
    `--external-key ${key.externalKeyId}`,
    ...key.projects.map((p) => `--project ${p.id}`),
    ...key.projects.flatMap((p) => [
      `--probe ${p.id}:file:${p.probes.fileId}`,
      `--probe ${p.id}:response:${p.probes.responseId}`,
      `--probe ${p.id}:model:${p.probes.fineTunedModel}`,
    ]),
  ];
}
