// `ekm revoke start`: starts the revocation runbook for a key. The run's id is the key's lock id
// (keyWorkflowId), started with conflict policy FAIL: while one run for the key is open, a second start
// is refused by Temporal itself and the running one is named. A closed run's id may be reused.
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { keyWorkflowId } from '../../common/workflowIds';
import { keyOf } from '../../providers/runSubject';
import { EkmKeyId, EkmProjectId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import { specOf } from '../../providers';
import { cliOf } from '../../providers/cloudClis';
import type { revokeKey } from '../../workflows';
import { addSigningOptions, signedStart, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { RefusedError } from '../errors';
import { print } from '../output';
import {
  addRevokeFlags,
  checkRevokeFlags,
  describeRequest,
  resolveRevokeInput,
  type RevokeFlags,
} from '../revokeFlags';
import { runLink } from '../runs';

export function registerRevokeStart(revoke: Command, defaultTaskQueue: string): void {
  addSigningOptions(
    addRevokeFlags(
      revoke
        .command('start')
        .description(
          'start the revocation runbook for a key: preflight, plan, approval, revoke, verify, approval, archive, replace',
        ),
      defaultTaskQueue,
    ),
  ).action(async (flags: RevokeFlags & SigningFlags) => {
    const checked = checkRevokeFlags(flags, false);
    const started = await withClient(async ({ client, namespace }) => {
      const input = await resolveRevokeInput(client, checked, flags);
      const key = keyOf(input);
      const workflowId = keyWorkflowId(key);
      const { summary, details } = describeRequest(input);
      // A cloud's change may take a lock beside the key's own (AWS: the role's; Google Cloud: none).
      await cliOf(input).awaitLocks(client, input, workflowId);
      try {
        const handle = await client.workflow.start<typeof revokeKey>('revokeKey', {
          taskQueue: flags.taskQueue,
          workflowId,
          // Signed by the requester for this id and exactly this input (a production worker needs it).
          args: [signedStart(flags, workflowId, input)],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          staticSummary: summary,
          staticDetails: details,
          // The run sets these itself on its first task; setting them at start makes it findable at once.
          typedSearchAttributes: [
            { key: EkmProvider, value: input.provider },
            { key: EkmKeyId, value: key },
            { key: EkmStage, value: 'started' },
            ...(input.projectIds?.[0] ? [{ key: EkmProjectId, value: input.projectIds[0] }] : []),
          ],
        });
        const runId = handle.firstExecutionRunId;
        return {
          workflowId,
          runId,
          // `keyArn` is what scripts read today; a Google Cloud run names its key `keyName`.
          [specOf(input).keyField]: key,
          link: runLink(namespace, workflowId, runId),
        };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const running = await client.workflow
          .getHandle(workflowId)
          .describe()
          .catch(() => undefined);
        throw new RefusedError(
          `${cliOf(input).keyFlag}: ${key} already has a run in progress: ${workflowId}${running ? `, run ${running.runId} (${running.type}, started ${running.startTime.toISOString()})` : ''}; one run per key at a time — follow it with \`ekm status ${workflowId}\`, or stop it with \`ekm cancel ${workflowId}\` before starting another`,
        );
      }
    });
    print(flags, started, () =>
      [
        `started    ${started.workflowId}`,
        `run        ${started.runId}`,
        `Web UI     ${started.link}`,
        `next       ekm status ${started.workflowId}   (approvers: ekm approve ${started.workflowId} --as NAME --plan HASH)`,
      ].join('\n'),
    );
  });
}
