// `ekm key inspect --key REF`: reads a key's state from its cloud through the inspectKey workflow.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { describeIssues, inspectKeyInput, type KeyDescription } from '../../common/keys';
import { EkmProvider, EkmStage } from '../../common/searchAttributes';
import type { inspectKey } from '../../workflows';
import { withClient } from '../connect';
import { CliError, UsageError } from '../errors';
import { print } from '../output';

export function registerKeyInspect(keyCommand: Command, defaultTaskQueue: string): void {
  keyCommand
    .command('inspect')
    .description("read a key's state from its cloud (read-only)")
    .requiredOption('--key <ref>', 'AWS key ARN, alias (alias/NAME) or key id')
    .option('--provider <name>', 'the key’s cloud', 'aws')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON')
    .action(async (opts: { key: string; provider: string; taskQueue: string; json?: boolean }) => {
      const parsed = inspectKeyInput.safeParse({ provider: opts.provider, key: opts.key });
      if (!parsed.success) throw new UsageError(`--${describeIssues(parsed.error)}`);
      const input = parsed.data;
      const key: KeyDescription = await withClient(async ({ client }) => {
        const workflowId = `ekm-inspect:${input.provider}:${input.key}:${randomBytes(4).toString('hex')}`;
        try {
          return await client.workflow.execute<typeof inspectKey>('inspectKey', {
            taskQueue: opts.taskQueue,
            workflowId,
            args: [input],
            staticSummary: `Inspect ${input.provider} key ${input.key}`,
            staticDetails: `Read-only: describes the key in its cloud. Started by \`ekm key inspect\`.`,
            typedSearchAttributes: [
              { key: EkmProvider, value: input.provider },
              { key: EkmStage, value: 'started' },
            ],
          });
        } catch (err) {
          if (err instanceof WorkflowFailedError) {
            throw new CliError(
              `inspect ${input.key} failed: ${err.cause?.message ?? err.message} (workflow ${workflowId})`,
            );
          }
          throw err;
        }
      });
      print(opts, key, () =>
        [
          `key        ${key.keyId}`,
          `state      ${key.state}${key.deletionDate ? ` (deletion ${key.deletionDate})` : ''}`,
          `managed by ${key.manager}`,
          `spec       ${key.keySpec}, ${key.usage}`,
          `created    ${key.createdAt ?? 'unknown'}`,
          key.description ? `about      ${key.description}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}
