// `ekm key inspect --key REF`: reads a key's state from its cloud through the inspectKey workflow.
import type { Command } from 'commander';
import { describeIssues, inspectKeyInput, type KeyDescription } from '../../common/keys';
import { withClient } from '../connect';
import { UsageError } from '../errors';
import { inspectKeyOnWorker } from '../inspectKeyRun';
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
      const key: KeyDescription = await withClient(({ client }) =>
        inspectKeyOnWorker(client, opts.taskQueue, input),
      );
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
