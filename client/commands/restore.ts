// `ekm restore`: undoes a revocation that stopped before the archive, by starting restoreAccess for the
// same key (under the key's lock id, so it cannot overlap another run on that key). The restore puts back
// the snapshot the revocation kept in the worker's evidence store, behind its own approval gate: approve
// it with `ekm approve` on the restore run. A revocation still running must be cancelled first. The same
// flags for an AWS and a Google Cloud revocation: the key and OpenAI's role or principal come from its record.
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/workflowIds';
import { restoreAccessInput, type RestoreAccessInput } from '../../common/restoreRequest';
import { type RevokeKeyRequest } from '../../providers/requests';
import type { RunStatus } from '../../providers/runStatus';
import { keyOf } from '../../providers/runSubject';
import { EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import { cliOf } from '../../providers/cloudClis';
import type { restoreAccess } from '../../workflows';
import { addSigningOptions, signedStart, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { CliError, RefusedError, UsageError } from '../errors';
import { print } from '../output';
import {
  checkRunId,
  defaultRequester,
  describeRun,
  evidenceDir,
  flagIssues,
  queryStatus,
  runLink,
} from '../runs';

interface RestoreFlags {
  runId?: string;
  requester?: string;
  reason?: string;
  ticket?: string;
  taskQueue?: string;
  json?: boolean;
}

const flagOf: Record<string, string> = {
  revokeWorkflowId: '<revokeWorkflowId>',
  revokeRunId: '--run-id',
  requester: '--requester',
  reason: '--reason',
  changeTicket: '--ticket',
};

/** Steps of a revocation that make a restore impossible (its project is archived or archiving). */
const pastTheArchive = ['archive', 'replace', 'deletion'];

/**
 * The revocation's record: its status query (a worker replays it), else the worker's evidence file. The
 * caller has checked the run is a revokeKey run, so the record is a revocation's.
 */
async function revocationRecord(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<RunStatus<RevokeKeyRequest>> {
  try {
    return (await queryStatus(client, workflowId, runId)) as RunStatus<RevokeKeyRequest>;
  } catch (queryError) {
    const file = path.join(evidenceDir(), folderFor(workflowId), runId, 'evidence.json');
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as RunStatus<RevokeKeyRequest>;
    } catch {
      throw new CliError(
        `cannot read the revocation's record: ${(queryError as Error).message}; nor is it at ${file} (EKM_EVIDENCE_DIR names the worker's evidence directory)`,
      );
    }
  }
}

export function registerRestore(program: Command, defaultTaskQueue: string): void {
  const command = program
    .command('restore')
    .argument('<revokeWorkflowId>', 'the revocation to undo (ekm-key:…)')
    .description(
      "put back OpenAI's access that a revocation removed (only for revocations stopped before the archive); the restore has its own approval gate",
    )
    .option('--run-id <id>', 'the revocation run (default: the latest run of that id)')
    .option('--requester <who>', 'who asks for the restore (default: $EKM_USER, else your OS user name)')
    .option('--reason <text>', 'why access is restored')
    .option('--ticket <ref>', 'the change ticket, e.g. CHG-1234')
    .option(
      '--task-queue <name>',
      `task queue of the worker that runs the restore (default: the revocation's own, else ${defaultTaskQueue})`,
    )
    .option('--json', 'print JSON');
  addSigningOptions(command).action(async (revokeWorkflowId: string, flags: RestoreFlags & SigningFlags) => {
    const runId = checkRunId(flags.runId);
    const draft = {
      revokeWorkflowId,
      requester: (flags.requester ?? defaultRequester()) as string,
      reason: flags.reason as string,
      changeTicket: flags.ticket as string,
    };
    // Everything but the run id (read from Temporal below) is checked before contacting it.
    const early = restoreAccessInput.safeParse({
      ...draft,
      revokeRunId: runId ?? '00000000-0000-4000-8000-000000000000',
    });
    if (!early.success) throw new UsageError(flagIssues(early.error, (root) => flagOf[root] ?? root));

    const started = await withClient(async ({ client, namespace }) => {
      const found = await describeRun(client, revokeWorkflowId, runId);
      if (found.type !== 'revokeKey')
        throw new UsageError(
          `<revokeWorkflowId>: ${revokeWorkflowId} run ${found.runId} is a ${found.type} run, not a revocation${found.type === 'restoreAccess' ? ' (the latest run of that id is a restore: give the revocation with --run-id)' : ''}`,
        );
      if (found.status.name === 'RUNNING')
        throw new RefusedError(
          `${revokeWorkflowId} run ${found.runId} is still running: cancel it first (\`ekm cancel ${revokeWorkflowId}\` — it stops at a safe point with access still revoked), then restore`,
        );
      const record = await revocationRecord(client, revokeWorkflowId, found.runId);
      // The restore workflow refuses these too; checking here saves starting a run only to see it fail.
      const reached = record.steps.find(
        (s) => pastTheArchive.includes(s.step) && !['pending', 'skipped'].includes(s.state),
      );
      if (reached)
        throw new RefusedError(
          `${revokeWorkflowId} run ${found.runId} reached "${reached.title}": an archived project stays archived; restore is only for revocations stopped before the archive`,
        );
      if (record.steps.find((s) => s.step === 'revoke')?.state !== 'done')
        throw new RefusedError(
          `${revokeWorkflowId} run ${found.runId} never revoked anything (it ended ${record.endState ?? found.status.name.toLowerCase()}): there is nothing to restore`,
        );
      const input: RestoreAccessInput = { ...early.data, revokeRunId: found.runId };
      const revoked = record.request;
      const key = keyOf(revoked);
      const workflowId = keyWorkflowId(key);
      // The restore takes the locks the revocation took (AWS: the role's; Google Cloud: the key's id alone).
      await cliOf(revoked).awaitLocks(client, revoked, workflowId);
      try {
        const restore = await client.workflow.start<typeof restoreAccess>('restoreAccess', {
          // The worker that revoked holds the snapshot in its evidence store: by default, the same queue.
          taskQueue: flags.taskQueue ?? (found.taskQueue || defaultTaskQueue),
          workflowId,
          args: [signedStart(flags, workflowId, input)],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          staticSummary: `Restore OpenAI's access to ${key} (undo ${revoked.method}) — ${input.changeTicket}`,
          staticDetails: [
            `**Undoes** \`${revokeWorkflowId}\` run \`${found.runId}\` (${revoked.method} on \`${key}\`)`,
            `**Asked by** ${input.requester}, ticket ${input.changeTicket}`,
            `**Why** ${input.reason}`,
            'Started by `ekm restore`; behind its own approval gate.',
          ].join('\n\n'),
          typedSearchAttributes: [
            { key: EkmProvider, value: revoked.provider },
            { key: EkmKeyId, value: key },
            { key: EkmStage, value: 'started' },
          ],
        });
        const restoreRunId = restore.firstExecutionRunId;
        return {
          workflowId,
          runId: restoreRunId,
          link: runLink(namespace, workflowId, restoreRunId),
          restores: { workflowId: revokeWorkflowId, runId: found.runId },
        };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        throw new RefusedError(
          `${key} already has a run in progress (${workflowId}): follow it with \`ekm status ${workflowId}\`, or cancel it, before restoring`,
        );
      }
    });
    print(flags, started, () =>
      [
        `started    ${started.workflowId}  (restores run ${started.restores.runId})`,
        `run        ${started.runId}`,
        `Web UI     ${started.link}`,
        `next       the restore has its own gate: ekm status ${started.workflowId}, then ekm approve ${started.workflowId} --as NAME --plan HASH`,
      ].join('\n'),
    );
  });
}
