// `ekm sandbox describe`: what `npm start` seeded — endpoints, ids and the sandbox's own (fake) keys —
// read from the description file the launcher writes (the CLI never imports the sandbox itself).
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keyOf, principalOf } from '../../providers/runSubject';
import { specOf } from '../../providers';
import { CliError } from '../errors';
import { print } from '../output';

export function sandboxDescriptionFile(env: NodeJS.ProcessEnv = process.env): string {
  const dataDir = env.EKM_DATA_DIR ?? path.resolve(__dirname, '../../../.data');
  return path.join(dataDir, 'sandbox.json');
}

interface Description {
  temporal?: { address: string; uiUrl?: string };
  openai: {
    baseUrl: string;
    orgId: string;
    externalKeyId: string;
    projects: { id: string; probes: Record<string, string> }[];
  };
  aws: {
    endpoint: string;
    region: string;
    accountId: string;
    keyArn: string;
    keyAlias: string;
    roleArn: string;
  };
  /** The Cloud KMS demo; absent in a description written before it was seeded. */
  gcp?: {
    projectId: string;
    keyName: string;
    principal: string;
    externalKeyId: string;
    projects: { id: string; probes: Record<string, string> }[];
  };
  gcpKms?: { address: string };
  /** Every seeded key, the two above included; absent in a description written before several were seeded. */
  keys?: DescribedKey[];
}

/** A seeded key as sandbox/demoKeys.ts writes it (the CLI reads the file, it does not import the sandbox). */
type DescribedKey = {
  name: string;
  externalKeyId: string;
  projects: { id: string }[];
  revokeExample: string;
} & (
  | { provider: 'aws'; keyArn: string; keyAlias: string; roleArn: string }
  | { provider: 'gcp'; keyName: string; principal: string }
);

/** One key in two lines: what it is and who uses it, then its registration, projects and revoke command. */
function keyLines(key: DescribedKey): string[] {
  const alias = 'keyAlias' in key ? `  (${key.keyAlias})` : '';
  const what = `${keyOf(key)}${alias}  ${specOf(key).principalKind} ${principalOf(key)}`;
  return [
    `  ${key.name.padEnd(12)} ${what}`,
    `  ${''.padEnd(12)} external key ${key.externalKeyId}  projects ${key.projects.map((p) => p.id).join(', ')}  revoke: sh ${key.revokeExample}`,
  ];
}

export function registerSandboxDescribe(sandbox: Command): void {
  sandbox
    .command('describe')
    .description('print what `npm start` seeded: endpoints, ids, the sandbox admin and project keys')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const file = sandboxDescriptionFile();
      let description: Description;
      try {
        description = JSON.parse(fs.readFileSync(file, 'utf8')) as Description;
      } catch {
        throw new CliError(
          `no sandbox description at ${file}: start the sandbox with \`npm start\` (or set EKM_DATA_DIR to its data folder).`,
        );
      }
      print(opts, description, () =>
        [
          `Temporal       ${description.temporal?.address ?? '?'}  (Web UI ${description.temporal?.uiUrl ?? '?'})`,
          `OpenAI twin    ${description.openai.baseUrl}  org ${description.openai.orgId}`,
          `external key   ${description.openai.externalKeyId}`,
          ...description.openai.projects.map(
            (p) => `project        ${p.id}  probes: ${Object.values(p.probes).join(', ')}`,
          ),
          `AWS (moto)     ${description.aws.endpoint}  ${description.aws.region}  account ${description.aws.accountId}`,
          `key            ${description.aws.keyArn}  (${description.aws.keyAlias})`,
          `role           ${description.aws.roleArn}`,
          ...(description.gcp
            ? [
                `GCP KMS (fake) ${description.gcpKms?.address ?? '?'}  project ${description.gcp.projectId}`,
                `key name       ${description.gcp.keyName}`,
                `principal      ${description.gcp.principal}`,
                `external key   ${description.gcp.externalKeyId}`,
                ...description.gcp.projects.map(
                  (p) => `project        ${p.id}  probes: ${Object.values(p.probes).join(', ')}`,
                ),
              ]
            : []),
          ...(description.keys
            ? [
                `seeded keys    ${description.keys.length}, each with its own role or binding, registration and projects:`,
                ...description.keys.flatMap(keyLines),
              ]
            : []),
          `(--json adds the sandbox's admin key and project API keys)`,
        ].join('\n'),
      );
    });
}
