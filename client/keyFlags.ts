// How a command names a key and who OpenAI is at it: each cloud's own flags (providers/<cloud>/cli.ts),
// `--key` (with `--role`) for an AWS KMS key, `--key-name` (with `--principal`) for a Cloud KMS key. Every
// command that takes a key checks the flags the same way, before Temporal is contacted, and names the flag
// to fix.
import type { Command } from 'commander';
import type { CloudCli, FlagHelp } from '../providers/cloudCli';
import { everyCloudCli } from '../providers/cloudClis';
import { UsageError } from './errors';

export interface KeyFlags {
  key?: string;
  role?: string;
  keyName?: string;
  principal?: string;
}

/** The schemas' key fields → the flags a person types. */
export const keyFlagOf: Readonly<Record<string, string>> = {
  provider: '--provider',
  ...Object.assign({}, ...everyCloudCli.map((cloud) => cloud.flagOfField)),
  externalKeyId: '--external-key',
};

/**
 * The cloud the flags name. Both or neither key flag, or another cloud's flag for OpenAI, is refused;
 * with `needsOpenAi`, OpenAI's side (the role, the principal) is required too.
 */
export function cloudOfKeyFlags(flags: KeyFlags, needsOpenAi: boolean): CloudCli {
  const named = everyCloudCli.filter((cloud) => cloud.namesKey(flags));
  if (named.length !== 1)
    throw new UsageError(
      `${everyCloudCli.map((cloud) => cloud.keyFlag).join(' / ')}: give exactly one: ${everyCloudCli.map((cloud) => cloud.keyChoice(needsOpenAi)).join(', ')}`,
    );
  const cloud = named[0]!;
  cloud.checkKeyFlags(flags, needsOpenAi);
  return cloud;
}

/** Adds the options `pick` chooses of every cloud, in the registry's order (each cloud's wording). */
export function addCloudOptions(
  command: Command,
  pick: (options: CloudCli['keyOptions']) => FlagHelp[],
): Command {
  for (const option of everyCloudCli.flatMap((cloud) => pick(cloud.keyOptions)))
    command.option(option.flags, option.description);
  return command;
}
