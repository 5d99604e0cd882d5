// `ekm cancel`: asks a run to stop. What that means depends on where the run is, and the CLI says so
// before anyone assumes access came back: before the revoke nothing has changed; between the revoke and
// the archive the run stops at its next safe point and access stays revoked (`ekm restore` undoes it,
// behind its own gate); from the archive on the steps are irreversible and the run goes to its end.
import type { Command } from 'commander';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { withClient } from '../connect';
import { RefusedError } from '../errors';
import { print } from '../output';
import { checkRunId, describeRun, queryStatus, requireRunbook, runHandle } from '../runs';

interface CancelFlags {
  runId?: string;
  wait?: boolean;
  json?: boolean;
}

type Zone = 'before-change' | 'revoked' | 'irreversible';

const stepState = (status: RunStatus<RunSubject>, step: string) =>
  status.steps.find((s) => s.step === step)?.state;

/** The run's zone, read from its steps (the workflow keeps its own; the steps show the same boundaries). */
function zoneOf(status: RunStatus<RunSubject>, type: string): Zone {
  const started = (step: string) => {
    const state = stepState(status, step);
    return state !== undefined && state !== 'pending';
  };
  if (type === 'restoreAccess') return started('restore') ? 'irreversible' : 'before-change';
  if (type === 'rotateKey') return started('rotate') ? 'irreversible' : 'before-change';
  if (started('archive')) return 'irreversible';
  return started('revoke') ? 'revoked' : 'before-change';
}

function meaning(zone: Zone, type: string, workflowId: string): string {
  if (type === 'rotateKey')
    return zone === 'before-change'
      ? 'the key has not been rotated: the run stops and ends `cancelled`'
      : 'the key is already rotated (that step is not interrupted); the run stops before checking OpenAI’s access again and ends rotated-unverified';
  if (type === 'restoreAccess')
    return zone === 'before-change'
      ? 'the restore has not changed anything yet: it stops now and access stays revoked'
      : 'access is already put back (that step is not interrupted); only the wait for OpenAI to validate again stops';
  switch (zone) {
    case 'before-change':
      return 'nothing has been changed yet: the run stops and ends `cancelled`';
    case 'revoked':
      return `OpenAI's access is already revoked: the run stops at its next safe point and ends revoked-unverified or revoked-verified; access stays revoked — \`ekm restore ${workflowId}\` undoes it, behind its own approval`;
    case 'irreversible':
      return 'the run is past the archive approval: archiving is irreversible, so the run goes on to its end regardless';
  }
}

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .argument('<workflowId>', 'the run to stop')
    .description('ask a run to stop; prints what stopping means at the stage the run is in')
    .option('--run-id <id>', 'a specific run of the workflow id (default: the latest run)')
    .option('--wait', 'wait until the run has closed and print how it ended')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: CancelFlags) => {
      const runId = checkRunId(flags.runId);
      const result = await withClient(async ({ client }) => {
        const found = await describeRun(client, workflowId, runId);
        requireRunbook(found);
        // Pin the run, so the cancel cannot reach a newer run started under the same id meanwhile.
        const handle = runHandle(client, workflowId, found.runId);
        const status = await queryStatus(client, workflowId, found.runId);
        if (found.status.name !== 'RUNNING')
          throw new RefusedError(
            `${workflowId} run ${found.runId} has already ended (${status.endState ?? found.status.name.toLowerCase()}): there is nothing to cancel`,
          );
        const zone = zoneOf(status, found.type);
        await handle.cancel();
        let ended: RunStatus<RunSubject> | undefined;
        if (flags.wait) {
          await handle.result().catch(() => undefined);
          ended = await queryStatus(client, workflowId, found.runId);
        }
        return {
          workflowId,
          runId: found.runId,
          type: found.type,
          stage: status.stage,
          zone,
          meaning: meaning(zone, found.type, workflowId),
          endState: ended?.endState ?? null,
          endReason: ended?.endReason ?? null,
        };
      });
      print(flags, result, () =>
        [
          `cancellation requested for ${result.workflowId} run ${result.runId} (stage ${result.stage})`,
          result.meaning,
          result.endState
            ? `ended      ${result.endState}${result.endReason ? ` — ${result.endReason}` : ''}`
            : `follow it: ekm status ${result.workflowId} --watch`,
        ].join('\n'),
      );
    });
}
