// `ekm key inspect --key REF`: reads a key's state from its cloud through the inspectKey workflow.
import type { Command } from 'commander';
import { describeIssues, type KeyDescription } from '../../common/keys';
import { inspectKeyInput } from '../../providers/inspectKeyInput';
import { withClient } from '../connect';
import { UsageError } from '../errors';
import { inspectKeyOnWorker } from '../inspectKeyRun';
import { print } from '../output';

export function registerKeyInspect(keyCommand: Command, defaultTaskQueue: string): void {
  keyCommand
    .command('inspect')
    .description("read a key's state from its cloud (read-only)")
    .option('--key <ref>', 'AWS key ARN, alias (alias/NAME) or key id')
    .option('--key-name <name>', 'Google Cloud: projects/…/locations/…/keyRings/…/cryptoKeys/…')
    .option('--provider <name>', 'the key’s cloud: aws, gcp (default: gcp with --key-name, else aws)')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        key?: string;
        keyName?: string;
        provider?: string;
        taskQueue: string;
        json?: boolean;
      }) => {
        if ((opts.key === undefined) === (opts.keyName === undefined))
          throw new UsageError(
            '--key / --key-name: give exactly one: --key for an AWS KMS key, --key-name for a Cloud KMS key',
          );
        const provider = opts.provider ?? (opts.keyName !== undefined ? 'gcp' : 'aws');
        const flag = opts.keyName !== undefined ? '--key-name' : '--key';
        if ((provider === 'gcp') !== (flag === '--key-name'))
          throw new UsageError(
            `--provider ${provider}: ${flag} names a key of the other cloud (AWS: --key, Google Cloud: --key-name)`,
          );
        const parsed = inspectKeyInput.safeParse({ provider, key: opts.key ?? opts.keyName });
        if (!parsed.success)
          throw new UsageError(
            describeIssues(parsed.error)
              .replace(/^key:/, `${flag}:`)
              .replace(/^provider: /, '--provider: '),
          );
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
      },
    );
}
