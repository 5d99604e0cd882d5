// Runs the read-only inspectKey workflow on the worker and waits for the key's description: what
// `ekm key inspect` prints, and how `ekm revoke` turns an alias or a key id into the key ARN (the CLI
// holds no cloud credentials; only the worker reads the cloud).
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { KeyDescription } from '../common/keys';
import type { InspectKeyInput } from '../providers/inspectKeyInput';
import { EkmProvider, EkmStage } from '../common/searchAttributes';
import type { inspectKey } from '../workflows';
import { rootMessage } from '../common/rootMessage';
import { CliError } from './errors';

export async function inspectKeyOnWorker(
  client: Client,
  taskQueue: string,
  input: InspectKeyInput,
  startedBy = '`ekm key inspect`',
): Promise<KeyDescription> {
  const workflowId = `ekm-inspect:${input.provider}:${input.key}:${randomBytes(4).toString('hex')}`;
  try {
    return await client.workflow.execute<typeof inspectKey>('inspectKey', {
      taskQueue,
      workflowId,
      args: [input],
      staticSummary: `Inspect ${input.provider} key ${input.key}`,
      staticDetails: `Read-only: describes the key in its cloud. Started by ${startedBy}.`,
      typedSearchAttributes: [
        { key: EkmProvider, value: input.provider },
        { key: EkmStage, value: 'started' },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      throw new CliError(`inspect ${input.key} failed: ${rootMessage(err)} (workflow ${workflowId})`);
    }
    throw err;
  }
}

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
