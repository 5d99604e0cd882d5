// `ekm resolve`: a person's decision where a run stopped for one — a name it gives is taken by something it
// cannot prove it made, or a create's answer was lost and nothing is listed. Exactly one of: adopt one of
// the candidates the stop lists, create again under a new name, or abandon the replacement (the old key is
// then kept). Signed like a vote, bound to the run, the stop and its hash; the run's `resolve` Update
// validator is the authority (the approvers of the gate the step belongs to, never the requester).
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  decidedResolution,
  resolutionSchema,
  resolutionStatement,
  type Resolution,
  type StopView,
} from '../../common/resolution';
import { describeIssues } from '../../common/keys';
import { resolveUpdate } from '../../workflows/revoke/messages';
import { actSigner, addSigningOptions, signAct, validForSeconds, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { RefusedError, UsageError } from '../errors';
import { print } from '../output';
import { checkRunId, describeRun, queryStatus, renderStop, requireRunbook, runHandle } from '../runs';

interface ResolveFlags extends SigningFlags {
  as?: string;
  adopt?: string;
  createAgain?: boolean;
  abandon?: boolean;
  comment?: string;
  runId?: string;
  json?: boolean;
}

/** The choice the flags make: exactly one of --adopt, --create-again, --abandon. */
function choiceOf(flags: ResolveFlags): Pick<Resolution, 'choice' | 'resource'> {
  const given = [flags.adopt !== undefined, flags.createAgain === true, flags.abandon === true];
  if (given.filter(Boolean).length !== 1)
    throw new UsageError(
      'give exactly one of --adopt <resource>, --create-again or --abandon (`ekm status` shows the stop and what it found)',
    );
  if (flags.adopt !== undefined) {
    if (!flags.adopt.trim())
      throw new UsageError('--adopt: name the resource to adopt, as the stop lists it');
    return { choice: 'adopt', resource: flags.adopt.trim() };
  }
  return { choice: flags.createAgain ? 'create-again' : 'abandon' };
}

export function registerResolve(program: Command): void {
  addSigningOptions(
    program
      .command('resolve')
      .argument('<workflowId>', 'the stopped run (see `ekm list --awaiting resolution`)')
      .description(
        'decide where a run stopped for a person: adopt what it found, create again under a new name, or abandon the replacement',
      )
      .option('--as <who>', 'your name as the approval policy lists it')
      .option('--adopt <resource>', 'adopt this resource (one of the candidates `ekm status` lists)')
      .option('--create-again', 'make it again under a new name (what carries the old name is left alone)')
      .option('--abandon', 'make nothing more: the run ends archived and the old key is kept')
      .option('--comment <text>', 'a comment kept with the decision in the record')
      .option('--run-id <id>', 'a specific run of the workflow id (default: the latest run)')
      .option('--json', 'print JSON'),
  ).action(async (workflowId: string, flags: ResolveFlags) => {
    const approver = flags.as?.trim();
    if (!approver) throw new UsageError('--as: is required: give your name as the approval policy lists it');
    const choice = choiceOf(flags);
    if (flags.comment && flags.comment.length > 2000)
      throw new UsageError('--comment: is too long (at most 2000 characters)');
    const runId = checkRunId(flags.runId);
    const signer = actSigner(flags);
    const validFor = validForSeconds(flags);

    const stop: StopView = await withClient(async ({ client }) => {
      const execution = await describeRun(client, workflowId, runId);
      // Pin the run read here, so the decision goes to the run whose stop was checked.
      const handle = runHandle(client, workflowId, execution.runId);
      requireRunbook(execution);
      const status = await queryStatus(client, workflowId, execution.runId);
      const open = status.openStop;
      if (execution.status.name !== 'RUNNING' || !open)
        throw new RefusedError(
          `${workflowId} is not stopped for a person (run ${status.runId}, stage ${status.stage}${status.endState ? `, ended ${status.endState}` : ''})`,
        );
      if (choice.choice === 'adopt' && !open.candidates.some((c) => c.id === choice.resource)) {
        print(flags, { refused: true, openStop: open }, () => renderStop(open, workflowId).join('\n'));
        throw new RefusedError(
          `--adopt ${choice.resource}: not among what the run found under ${open.name} (${open.candidates.map((c) => c.id).join(', ') || 'nothing'})`,
        );
      }
      const unsigned: Resolution = {
        stopId: open.stopId,
        stopHash: open.stopHash,
        ...choice,
        approver,
        ...(flags.comment ? { comment: flags.comment } : {}),
      };
      // Signed for this run, stop and decision only: the run rebuilds the same statement to verify it.
      const signature = signAct(signer, validFor, (expiresAt) =>
        resolutionStatement({ workflowId, runId: execution.runId }, unsigned, expiresAt),
      );
      const resolution: Resolution = { ...unsigned, ...(signature ? { signature } : {}) };
      const checked = resolutionSchema.safeParse(resolution);
      if (!checked.success) throw new UsageError(describeIssues(checked.error));
      try {
        return await handle.executeUpdate(resolveUpdate, { args: [resolution] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new RefusedError(`the run refused the decision: ${err.cause?.message ?? err.message}`);
        throw err;
      }
    });
    const decided = decidedResolution(stop);
    print(
      flags,
      {
        workflowId,
        stopId: stop.stopId,
        stopHash: stop.stopHash,
        ...choice,
        approver,
        signed: signer !== undefined,
        decision: decided ?? null,
        votes: stop.votes.length,
        quorum: stop.policy.quorum,
      },
      () =>
        [
          `${choice.choice}${choice.resource ? ` ${choice.resource}` : ''} by ${approver} recorded on ${stop.stopId} (${stop.step})${signer ? `, signed with ${signer.source}` : ', unsigned (only a sandbox worker takes it)'}`,
          decided
            ? `decided: ${decided}; the run goes on (\`ekm status ${workflowId}\`)`
            : `${stop.votes.length}/${stop.policy.quorum}: waiting for more of ${stop.policy.approvers.join(', ')} to agree`,
        ].join('\n'),
    );
  });
}
