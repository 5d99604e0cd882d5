// How a command names a key and who OpenAI is at it: `--key` (with `--role`) for an AWS KMS key,
// `--key-name` (with `--principal`) for a Cloud KMS key. Every command that takes a key checks the flags
// the same way, before Temporal is contacted, and names the flag to fix.
import { UsageError } from './errors';

export interface KeyFlags {
  key?: string;
  role?: string;
  keyName?: string;
  principal?: string;
}

/** The schemas' key fields → the flags a person types. */
export const keyFlagOf = {
  provider: '--provider',
  keyArn: '--key',
  roleArn: '--role',
  keyName: '--key-name',
  principal: '--principal',
  externalKeyId: '--external-key',
} as const;

/**
 * The cloud the flags name. Both or neither key flag, or the other cloud's flag for OpenAI, is refused;
 * with `needsOpenAi`, OpenAI's side (the role, the principal) is required too.
 */
export function cloudOfKeyFlags(flags: KeyFlags, needsOpenAi: boolean): 'aws' | 'gcp' {
  const withRole = needsOpenAi ? ' (with --role)' : '';
  const withPrincipal = needsOpenAi ? ' (with --principal)' : '';
  if ((flags.key === undefined) === (flags.keyName === undefined))
    throw new UsageError(
      `--key / --key-name: give exactly one: --key${withRole} for an AWS KMS key, --key-name${withPrincipal} for a Cloud KMS key`,
    );
  if (flags.keyName === undefined) {
    if (flags.principal !== undefined)
      throw new UsageError("--principal: is Google Cloud's (with --key-name); an AWS key takes --role");
    if (needsOpenAi && !flags.role)
      throw new UsageError('--role: is required with --key: the role OpenAI assumes');
    return 'aws';
  }
  if (flags.role !== undefined) throw new UsageError("--role: is AWS's; a Cloud KMS key takes --principal");
  if (needsOpenAi && !flags.principal)
    throw new UsageError("--principal: is required with --key-name: OpenAI's IAM principal on the key");
  return 'gcp';
}
