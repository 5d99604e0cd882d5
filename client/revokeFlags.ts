// The flags `ekm revoke plan` and `ekm revoke start` share, and their translation into a revokeKey input.
// Everything is checked against the workflow's own schema before Temporal is contacted, so a typo never
// starts a run; the one thing that needs the worker — turning an alias or a key id into the key ARN — is
// done after that check, through the read-only inspectKey workflow.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { revokeKeyInput, type RevokeKeyInput, type RevokeKeyRequest } from '../providers/requests';
import { cliOf, cloudNamed, defaultCloud, everyCloudCli } from '../providers/cloudClis';
import { providerIds, providerSpecs, specOf } from '../providers';
import { probeKinds, products, type ProbeSpec } from '../common/revocationRequest';
import { keyOf, principalOf } from '../providers/runSubject';
import { UsageError } from './errors';
import type { KeyFlags } from './keyFlags';
import { defaultRequester, flagIssues } from './runs';

export interface RevokeFlags extends KeyFlags {
  provider: string;
  method?: string;
  externalKey?: string;
  project?: string[];
  probe?: string[];
  product: string;
  workspace?: string;
  requester?: string;
  reason?: string;
  ticket?: string;
  urgency: string;
  replace: boolean;
  deleteAfterDays?: string;
  taskQueue: string;
  json?: boolean;
}

// No commander default for repeatable flags: it would print `(default: [])` in the help.
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function addRevokeFlags(command: Command, defaultTaskQueue: string): Command {
  command.option('--provider <cloud>', `where the key lives: ${providerIds.join(' | ')}`, defaultCloud);
  // Each cloud's key and OpenAI flags, in the registry's order (providers/<cloud>/cli.ts).
  for (const option of everyCloudCli.flatMap((cloud) => cloud.revokeOptions))
    command.option(option.flags, option.description);
  return command
    .option(
      '--method <method>',
      `how access is revoked: ${everyCloudCli.map((cloud) => `${cloud.helpLabel} ${providerSpecs[cloud.id].revocationMethods.join(' | ')}`).join('; ')}`,
    )
    .option('--external-key <id>', 'the OpenAI external key registered for the key (extkey_…); API only')
    .option('--project <id>', 'an OpenAI project bound to the key (proj_…); repeat for every one', collect)
    .option(
      '--probe <spec>',
      `an object that must be readable before and denied after: PROJECT:${probeKinds.join('|')}:ID (a model id may hold colons: proj_a:model:ft:gpt-4o:org:x); repeatable`,
      collect,
    )
    .option('--product <product>', products.join(' | '), 'api')
    .option('--workspace <id>', 'the ChatGPT Enterprise workspace (chatgpt-enterprise only)')
    .option('--requester <who>', 'who asks for the revocation (default: $EKM_USER, else your OS user name)')
    .option('--reason <text>', 'why the key is revoked (goes into the record)')
    .option('--ticket <ref>', 'the change ticket, e.g. CHG-1234')
    .option(
      '--urgency <urgency>',
      'normal | incident (incident uses the break-glass approval policy)',
      'normal',
    )
    .option('--no-replace', 'do not provision a replacement key, registration and project')
    .option(
      '--delete-after-days <days>',
      "schedule the old key's deletion after 7–30 days (behind its own gate)",
    )
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON');
}

/** The schema's field → the flag a person types. */
const flagOf: Record<string, string> = {
  provider: '--provider',
  product: '--product',
  ...Object.assign({}, ...everyCloudCli.map((cloud) => cloud.flagOfField)),
  method: '--method',
  externalKeyId: '--external-key',
  projectIds: '--project',
  workspaceId: '--workspace',
  probes: '--probe',
  requester: '--requester',
  reason: '--reason',
  changeTicket: '--ticket',
  urgency: '--urgency',
  planOnly: '(plan-only)',
  replace: '--no-replace',
  deleteAfterDays: '--delete-after-days',
};

/** `PROJECT:KIND:ID`, split on the first two colons only: fine-tuned model ids are `ft:…:…:…`. */
export function parseProbe(spec: string): ProbeSpec {
  const first = spec.indexOf(':');
  const second = first < 0 ? -1 : spec.indexOf(':', first + 1);
  if (first <= 0 || second < 0 || second === spec.length - 1)
    throw new UsageError(
      `--probe ${spec}: must be PROJECT:KIND:ID with KIND one of ${probeKinds.join(', ')} (e.g. proj_abc:file:file-123 or proj_abc:model:ft:gpt-4o-mini:org:name:id)`,
    );
  return {
    projectId: spec.slice(0, first),
    kind: spec.slice(first + 1, second) as ProbeSpec['kind'],
    id: spec.slice(second + 1),
  };
}

function parseDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new UsageError(
      `--delete-after-days: ${JSON.stringify(value)} is not a whole number of days (7–30)`,
    );
  return Number(value);
}

export interface CheckedRevokeFlags {
  /** The request, except that an AWS keyArn may still be a stand-in when `--key` is an alias or a key id. */
  input: RevokeKeyInput;
  keyRef: string;
  needsResolution: boolean;
}

/** The flags every cloud shares, as the request's fields. */
function sharedFields(flags: RevokeFlags, planOnly: boolean) {
  return {
    product: flags.product as RevokeKeyInput['product'],
    method: flags.method as string,
    externalKeyId: flags.externalKey,
    projectIds: flags.project ?? [],
    workspaceId: flags.workspace,
    probes: (flags.probe ?? []).map(parseProbe),
    requester: (flags.requester ?? defaultRequester()) as string,
    reason: flags.reason as string,
    changeTicket: flags.ticket as string,
    urgency: flags.urgency as RevokeKeyInput['urgency'],
    planOnly,
    replace: flags.replace,
    deleteAfterDays: parseDays(flags.deleteAfterDays),
  };
}

/** What every cloud's revocation request holds beside its key and OpenAI's principal. */
export type SharedRevokeFields = ReturnType<typeof sharedFields>;

/** Checks every flag against the workflow's schema; throws a usage error naming the flags to fix. */
export function checkRevokeFlags(flags: RevokeFlags, planOnly: boolean): CheckedRevokeFlags {
  const checked = cloudNamed(flags.provider).revokeRequest(flags, () => sharedFields(flags, planOnly));
  validate(checked.input, flags);
  return checked;
}

function validate(input: RevokeKeyInput, flags: RevokeFlags): RevokeKeyRequest {
  const parsed = revokeKeyInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = flagIssues(parsed.error, (root, rest) => {
    const flag = flagOf[root] ?? root;
    const index = typeof rest[0] === 'number' ? rest[0] : undefined;
    if (root === 'probes' && index !== undefined) return `${flag} ${flags.probe?.[index] ?? ''}`.trim();
    if (root === 'projectIds' && index !== undefined) return `${flag} ${flags.project?.[index] ?? ''}`.trim();
    return flag;
  });
  // The schema's own wording names fields; a person at the command line knows them as flags.
  throw new UsageError(message.replace(/\bprojectIds\b/g, 'the --project values'));
}

/** Resolves `--key` to the key ARN on the worker when needed, and re-checks the whole request with it. */
export async function resolveRevokeInput(
  client: Client,
  checked: CheckedRevokeFlags,
  flags: RevokeFlags,
): Promise<RevokeKeyInput> {
  if (!checked.needsResolution) return checked.input;
  const cloud = cliOf(checked.input);
  const key = await cloud.resolveKey(
    client,
    flags.taskQueue,
    checked.keyRef,
    `\`ekm revoke\` to resolve ${cloud.keyFlag} to the key ARN`,
  );
  const input = { ...checked.input, ...cloud.keyFields(key) } as RevokeKeyInput;
  validate(input, flags);
  return input;
}

/** What the run is about, in one line and a few: the Web UI shows them on the run (no secrets in here). */
export function describeRequest(input: RevokeKeyInput): { summary: string; details: string } {
  const projects = input.projectIds?.length ? input.projectIds.join(', ') : '(none)';
  return {
    summary: `Revoke OpenAI's access to ${keyOf(input)} (${input.method}) — ${input.changeTicket}`,
    details: [
      `**Key** \`${keyOf(input)}\` via ${specOf(input).principalKind} \`${principalOf(input)}\`, method **${input.method}**`,
      `**Product** ${input.product ?? 'api'}${input.externalKeyId ? `, external key \`${input.externalKeyId}\`` : ''}${input.workspaceId ? `, workspace \`${input.workspaceId}\`` : ''}`,
      `**Projects** ${projects}`,
      `**Asked by** ${input.requester}, ticket ${input.changeTicket}, urgency ${input.urgency ?? 'normal'}`,
      `**Why** ${input.reason}`,
      'Started by `ekm revoke start`.',
    ].join('\n\n'),
  };
}
