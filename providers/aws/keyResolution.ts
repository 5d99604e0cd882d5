// An AWS KMS key as a person names it on the command line: a key ARN, an alias, an alias ARN or a key id.
// Only the key ARN is final; the others are resolved by the worker (the CLI holds no cloud credentials).
import type { Client } from '@temporalio/client';
import { CliError } from '../../client/errors';
import { inspectKeyOnWorker } from '../../client/inspectKeyRun';

/** A key ARN, as opposed to an alias or a bare key id the worker must resolve. */
export const isKeyArn = (ref: string) => /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\//.test(ref);

/** The key ARN of `--key`: as given when it is one, else resolved by the worker (alias, key id). */
export async function resolveKeyArn(
  client: Client,
  taskQueue: string,
  keyRef: string,
  startedBy: string,
): Promise<string> {
  if (isKeyArn(keyRef)) return keyRef;
  const key = await inspectKeyOnWorker(client, taskQueue, { provider: 'aws', key: keyRef }, startedBy);
  if (!isKeyArn(key.keyId))
    throw new CliError(`--key: ${keyRef} resolved to ${key.keyId}, which is not a key ARN`);
  return key.keyId;
}

/**
 * Until the worker resolves an alias or a key id, flags are checked against a stand-in key ARN in the
 * account and region the reference names (an alias ARN does), else the role's: the account check is then
 * repeated with the real ARN.
 */
export function keyArnOrStandIn(keyRef: string, roleArn?: string): string {
  if (isKeyArn(keyRef)) return keyRef;
  const aliasArn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):alias\//.exec(keyRef);
  const roleAccount = /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(roleArn ?? '')?.[1];
  return `arn:aws:kms:${aliasArn?.[1] ?? 'us-east-1'}:${aliasArn?.[2] ?? roleAccount ?? '000000000000'}:key/00000000-0000-0000-0000-000000000000`;
}
