// `ekm list`: the runbook runs in the namespace, newest first, from Temporal's visibility store — with
// `--awaiting`, only those waiting for a person. The filter uses the EkmAwaiting KeywordList attribute;
// the dev server (SQLite visibility) accepts `=` and `IN` on a KeywordList but not STARTS_WITH, so
// "approval" is spelled out as every gate kind, and "task" as every task kind. A run's key is printed
// under the field its cloud's requests and records use (keyArn on AWS, keyName on Google Cloud), so a
// script reads `ekm list --json` the way it reads `ekm status --json`.
import type { Command } from 'commander';
import { taskKinds } from '../../common/approvals';
import { EkmAwaiting, EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import { providerSpecs } from '../../providers';
import { defaultCloud, isProviderId } from '../../providers/cloudClis';
import { gateKinds } from '../../worker/config';
import { withClient } from '../connect';
import { CliError, UsageError } from '../errors';
import { print } from '../output';
import { runbookWorkflowTypes } from '../runs';

interface ListFlags {
  awaiting?: string;
  limit: string;
  json?: boolean;
}

/** The run's key under its cloud's field (keyArn, keyName); `key` only for a cloud this CLI does not know. */
type RunKey = { provider: string; [keyField: string]: unknown };

type Row = {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  stage: string | null;
  awaiting: string[];
  startTime: string;
  closeTime: string | null;
} & RunKey;

/** Runs from before the provider attribute was set are AWS runs: the only cloud ekm served then. */
function runKey(provider: string | undefined, key: string | null): RunKey {
  const cloud = provider ?? defaultCloud;
  if (isProviderId(cloud)) return { provider: cloud, [providerSpecs[cloud].keyField]: key };
  return { provider: cloud, key };
}

/** "AWS KMS key arn:…" / "Cloud KMS key projects/…": the human listing's key line. */
function keyLine(row: Row): string | undefined {
  const known = isProviderId(row.provider) ? providerSpecs[row.provider] : undefined;
  const key = row[known?.keyField ?? 'key'] as string | null | undefined;
  return key === null || key === undefined ? undefined : `${known?.kmsName ?? row.provider} key ${key}`;
}

const awaitingValues = [
  ...gateKinds.map((k) => `approval:${k}`),
  ...taskKinds.map((k) => `task:${k}`),
  'resolution',
];

/** `approval`, `task`, or one exact value (approval:revoke, task:chatgpt-verify, …) → the values to match. */
function awaitingFilter(what: string): string[] {
  if (what === 'approval' || what === 'task') return awaitingValues.filter((v) => v.startsWith(`${what}:`));
  if (awaitingValues.includes(what)) return [what];
  throw new UsageError(
    `--awaiting: ${JSON.stringify(what)} is not something a run waits for: give approval, task, resolution, or one of ${awaitingValues.join(', ')}`,
  );
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function registerList(program: Command): void {
  program
    .command('list')
    .description(
      'list revocation and restore runs, newest first (with --awaiting: those waiting for a person)',
    )
    .option(
      '--awaiting <what>',
      'approval | task | resolution | one value such as approval:revoke or task:chatgpt-verify',
    )
    .option('--limit <n>', 'at most this many runs', '50')
    .option('--json', 'print JSON')
    .action(async (flags: ListFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new UsageError(`--limit: ${JSON.stringify(flags.limit)} must be a whole number from 1 to 1000`);
      const clauses = [`WorkflowType IN (${runbookWorkflowTypes.map(quote).join(', ')})`];
      if (flags.awaiting !== undefined)
        clauses.push(
          `ExecutionStatus = 'Running'`,
          `${EkmAwaiting.name} IN (${awaitingFilter(flags.awaiting).map(quote).join(', ')})`,
        );
      const query = clauses.join(' AND ');
      const rows = await withClient(async ({ client }) => {
        const found: Row[] = [];
        try {
          for await (const wf of client.workflow.list({ query })) {
            const attrs = wf.typedSearchAttributes;
            found.push({
              workflowId: wf.workflowId,
              runId: wf.runId,
              type: wf.type,
              status: wf.status.name,
              stage: attrs.get(EkmStage) ?? null,
              awaiting: attrs.get(EkmAwaiting) ?? [],
              ...runKey(attrs.get(EkmProvider), attrs.get(EkmKeyId) ?? null),
              startTime: wf.startTime.toISOString(),
              closeTime: wf.closeTime?.toISOString() ?? null,
            });
            if (found.length >= limit) break;
          }
        } catch (err) {
          throw new CliError(
            `listing runs failed (${(err as Error).message}): is EkmAwaiting registered as a KeywordList in this namespace? \`ekm check\` says (query: ${query})`,
          );
        }
        return found;
      });
      print(flags, rows, () =>
        rows.length
          ? rows
              .map((r) => {
                const key = keyLine(r);
                return `${r.workflowId}  ${r.runId}\n    ${r.type} ${r.status.toLowerCase()}, stage ${r.stage ?? '?'}${r.awaiting.length ? `, awaiting ${r.awaiting.join(', ')}` : ''}, started ${r.startTime}${key ? `\n    ${key}` : ''}`;
              })
              .join('\n')
          : `no runs${flags.awaiting ? ` awaiting ${flags.awaiting}` : ''} (visibility lags a second or two behind a run)`,
      );
    });
}
