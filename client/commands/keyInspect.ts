// `ekm key inspect --key REF`: reads a key's state from its cloud through the inspectKey workflow.
import type { Command } from 'commander';
import { describeIssues, type KeyDescription } from '../../common/keys';
import { inspectKeyInput } from '../../providers/inspectKeyInput';
import { providerIds, providerSpecs } from '../../providers';
import { defaultCloud, everyCloudCli, isProviderId } from '../../providers/cloudClis';
import { withClient } from '../connect';
import { addCloudOptions, cloudOfKeyFlags } from '../keyFlags';
import { UsageError } from '../errors';
import { inspectKeyOnWorker } from '../inspectKeyRun';
import { print } from '../output';

export function registerKeyInspect(keyCommand: Command, defaultTaskQueue: string): void {
  const byItsFlag = everyCloudCli.filter((cloud) => cloud.id !== defaultCloud);
  addCloudOptions(
    keyCommand.command('inspect').description("read a key's state from its cloud (read-only)"),
    (cloud) => [cloud.keyToInspect],
  )
    .option(
      '--provider <name>',
      `the key’s cloud: ${providerIds.join(', ')} (default: ${byItsFlag.map((cloud) => `${cloud.id} with ${cloud.keyFlag}`).join(', ')}, else ${defaultCloud})`,
    )
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
        const cloud = cloudOfKeyFlags(opts, false);
        const provider = opts.provider ?? cloud.id;
        const flag = cloud.keyFlag;
        // An unknown --provider is the schema's to name, unless the flag is another cloud's than the default.
        if ((isProviderId(provider) ? provider : defaultCloud) !== cloud.id)
          throw new UsageError(
            `--provider ${provider}: ${flag} names a key of the other cloud (${everyCloudCli.map((c) => `${providerSpecs[c.id].name}: ${c.keyFlag}`).join(', ')})`,
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
