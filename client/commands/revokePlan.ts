// `ekm revoke plan`: preflight and plan only. Runs revokeKey with `planOnly` under an id of its own (it
// takes no key lock and opens no gate) and prints the exact changes, what else they stop, the warnings
// and the plan hash approvers will see (a plan-only run hashes like the real one). Nothing is changed.
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { planWorkflowId } from '../../common/workflowIds';
import { type RevokeKeyRequest } from '../../providers/requests';
import { keyOf } from '../../providers/runSubject';
import type { RunStatus } from '../../providers/runStatus';
import { EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import type { revokeKey } from '../../workflows';
import { withClient } from '../connect';
import { CliError } from '../errors';
import { print } from '../output';
import {
  addRevokeFlags,
  checkRevokeFlags,
  describeRequest,
  resolveRevokeInput,
  type RevokeFlags,
} from '../revokeFlags';
import { failureMessage, renderPlan, runLink } from '../runs';
import { addSigningOptions } from '../actSigner';

export function registerRevokePlan(revoke: Command, defaultTaskQueue: string): void {
  // The signing flags are taken so that plan and start take the same command line; a plan changes
  // nothing, is no act, and is sent unsigned.
  addSigningOptions(
    addRevokeFlags(
      revoke
        .command('plan')
        .description(
          'preflight and plan a revocation without changing anything: prints the changes, what they also stop, warnings and the plan hash',
        ),
      defaultTaskQueue,
    ),
  ).action(async (flags: RevokeFlags) => {
    const checked = checkRevokeFlags(flags, true);
    const { result, workflowId, link } = await withClient(async ({ client, namespace }) => {
      const input = await resolveRevokeInput(client, checked, flags);
      const workflowId = planWorkflowId(keyOf(input), randomUUID());
      const { summary, details } = describeRequest(input);
      const handle = await client.workflow.start<typeof revokeKey>('revokeKey', {
        taskQueue: flags.taskQueue,
        workflowId,
        args: [input],
        staticSummary: `Plan only: ${summary}`,
        staticDetails: `${details}\n\nPlan only (\`ekm revoke plan\`): nothing is changed.`,
        typedSearchAttributes: [
          { key: EkmProvider, value: input.provider },
          { key: EkmKeyId, value: keyOf(input) },
          { key: EkmStage, value: 'started' },
        ],
      });
      const link = runLink(namespace, workflowId, handle.firstExecutionRunId);
      try {
        return { result: await handle.result(), workflowId, link };
      } catch (err) {
        if (err instanceof WorkflowFailedError)
          throw new CliError(
            `the plan was refused: ${failureMessage(err)} (nothing was changed; run ${workflowId}, ${link})`,
          );
        throw err;
      }
    });
    print(flags, planJson(result, link), () =>
      [
        `plan-only run ${workflowId}`,
        `  ${link}`,
        ...renderPlan(result.plan),
        'nothing was changed: this was a plan-only run',
        // The hash leaves the plan-only flag out: the same flags on an unchanged world give the same hash.
        'start it with `ekm revoke start` and the same flags; its plan has this hash unless the key, the role or OpenAI changed meanwhile (`ekm status` shows the hash approvers vote on)',
      ].join('\n'),
    );
  });
}

function planJson(result: RunStatus<RevokeKeyRequest>, link: string) {
  return {
    workflowId: result.workflowId,
    runId: result.runId,
    link,
    endState: result.endState,
    request: result.request,
    plan: result.plan,
    preflight: result.steps.find((s) => s.step === 'preflight')?.summary,
  };
}
