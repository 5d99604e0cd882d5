// Runs the read-only inspectKey workflow on the worker and waits for the key's description: what
// `ekm key inspect` prints, and how a command turns an AWS alias or key id into the key ARN
// (providers/aws/keyReference.ts; the CLI holds no cloud credentials, only the worker reads the cloud).
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
