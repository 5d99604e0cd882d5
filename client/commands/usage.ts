// `ekm usage --key REF --role ARN | --key-name NAME --principal P [--external-key extkey_…] [--since 24h]`:
// is the key being used? Runs the read-only verifyKeyUsage workflow (the audit trail — CloudTrail for the
// role OpenAI assumes, Cloud Logging's Data Access log for OpenAI's principal — and validate) and prints the
// counts per operation, successful and refused apart, the first and last use, and validate's answer.
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import { usageWorkflowId } from '../../common/usage';
import {
  verifyKeyUsageInput,
  type VerifyKeyUsageInput,
  type VerifyKeyUsageRequest,
  type VerifyKeyUsageResult,
} from '../../providers/usageRequests';
import { keyOf, principalOf } from '../../providers/runSubject';
import { specOf } from '../../providers';
import type { verifyKeyUsage } from '../../workflows';
import { withClient } from '../connect';
import { CliError } from '../errors';
import { addCloudOptions, cloudOfKeyFlags, keyFlagOf, type KeyFlags } from '../keyFlags';
import { print } from '../output';
import { checkFlags, defaultRequester, failureMessage, runLink } from '../runs';
import { parseSince } from '../sinceFlag';

interface UsageFlags extends KeyFlags {
  externalKey?: string;
  since: string;
  taskQueue: string;
  json?: boolean;
}

/** The schema's field → the flag a person types. */
const flagOf: Record<string, string> = {
  ...keyFlagOf,
  since: '--since',
  until: '--until',
};

export function registerUsage(program: Command, defaultTaskQueue: string): void {
  addCloudOptions(
    program
      .command('usage')
      .description(
        "is the key being used? OpenAI's calls on it from CloudTrail (successful and refused apart) and validate's answer (read-only)",
      ),
    (cloud) => [cloud.key, cloud.principal],
  )
    .option('--external-key <id>', "also ask OpenAI's validate for this external key (extkey_…)")
    .option('--since <when>', 'start of the window: 30m, 24h, 7d back from now, or an ISO time', '24h')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON')
    .action(async (flags: UsageFlags) => {
      const cloud = cloudOfKeyFlags(flags, true);
      const keyRef = cloud.keyRefOf(flags);
      const since = parseSince(flags.since);
      const request = (key: string) =>
        ({
          ...cloud.subjectFields(key, flags),
          externalKeyId: flags.externalKey,
          since,
          requester: defaultRequester(),
        }) as VerifyKeyUsageInput;
      // Every flag is checked before Temporal is contacted.
      checkFlags(verifyKeyUsageInput, request(cloud.standInKey(keyRef, flags)), flagOf);
      await withClient(async ({ client, namespace }) => {
        // The CLI holds no cloud credentials: the worker resolves an alias or a key id (inspectKey).
        const key = await cloud.resolveKey(client, flags.taskQueue, keyRef, '`ekm usage`');
        await runUsage(client, namespace, flags, checkFlags(verifyKeyUsageInput, request(key), flagOf));
      });
    });
}

async function runUsage(
  client: Client,
  namespace: string,
  flags: UsageFlags,
  input: VerifyKeyUsageRequest,
): Promise<void> {
  const key = keyOf(input);
  const who = principalOf(input);
  const trail = specOf(input).trailName;
  const workflowId = usageWorkflowId(key, randomUUID());
  const handle = await client.workflow.start<typeof verifyKeyUsage>('verifyKeyUsage', {
    taskQueue: flags.taskQueue,
    workflowId,
    args: [input],
    staticSummary: `Usage of ${key} by ${who}`,
    staticDetails: `Read-only: ${trail} since ${input.since}${flags.externalKey ? ` and validate of ${flags.externalKey}` : ''}. Started by \`ekm usage\`.`,
    typedSearchAttributes: [
      { key: EkmProvider, value: input.provider },
      { key: EkmKeyId, value: key },
      { key: EkmStage, value: 'started' },
    ],
  });
  const link = runLink(namespace, workflowId, handle.firstExecutionRunId);
  let result: VerifyKeyUsageResult;
  try {
    result = await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new CliError(
        `usage of ${key} could not be read: ${failureMessage(err)} (run ${workflowId}, ${link})`,
      );
    throw err;
  }
  print(flags, { workflowId, link, ...result }, () => renderUsage(result, workflowId, link));
}

function renderUsage(result: VerifyKeyUsageResult, workflowId: string, link: string): string {
  const u = result.usage;
  const names = Object.keys(u.operations).sort();
  const width = Math.max(9, ...names.map((n) => n.length));
  const row = (name: string, ok: number | string, refused: number | string) =>
    `  ${name.padEnd(width)}  ${String(ok).padStart(10)}  ${String(refused).padStart(7)}`;
  const lines = [
    `usage of ${keyOf(u)}`,
    `  by       ${principalOf(u as Parameters<typeof principalOf>[0]) ?? 'every caller'}`,
    `  window   ${u.since} → ${u.until} (${u.source})`,
    `  run      ${workflowId}`,
    `           ${link}`,
    '',
    row('operation', 'successful', 'refused'),
    ...names.map((n) => row(n, u.operations[n]!.successful, u.operations[n]!.refused)),
    // A read stopped at the worker's page cap counted part of the window: its totals are lower bounds.
    row(u.truncated ? 'at least' : 'total', u.successful, u.refused),
    '',
    `first successful use  ${u.firstSuccessfulUse ?? 'none in the window'}`,
    `last successful use   ${u.lastSuccessfulUse ?? 'none in the window'}`,
  ];
  if (u.refused) {
    const codes = Object.entries(u.refusedByCode).map(([code, n]) => `${code} ×${n}`);
    lines.push(`last refused attempt  ${u.lastRefusedAttempt ?? 'unknown'} (${codes.join(', ')})`);
  }
  if (result.validation) {
    const v = result.validation;
    lines.push(
      `validate ${v.externalKeyId}: ${v.outcome} (${v.why}; HTTP ${v.httpStatus}, ${v.requestId ?? 'no request id'})`,
    );
  } else if (result.validationError) {
    lines.push(`validate: could not ask (${result.validationError})`);
  }
  for (const caveat of u.caveats) lines.push(`note: ${caveat}`);
  return lines.join('\n');
}
