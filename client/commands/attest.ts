// `ekm attest`: a person's answer to the open human task of a run — what they did where the product has
// no API (ChatGPT Enterprise checks, the support contact) or what they decide when the run cannot (an
// escalation). Sent through the run's `attest` Update; its validator decides who may answer and which
// outcomes count, and a refusal is printed as the run words it.
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { attestationSchema, type Attestation, type TaskView } from '../../common/approvals';
import { attestUpdate } from '../../workflows/revoke/messages';
import { attestationStatement } from '../../common/signedStatement';
import { actSigner, addSigningOptions, signAct, validForSeconds, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { RefusedError, UsageError } from '../errors';
import { print } from '../output';
import { checkRunId, describeRun, flagIssues, queryStatus, requireRunbook, runHandle } from '../runs';

interface AttestFlags extends SigningFlags {
  as?: string;
  outcome?: string;
  ticket?: string;
  at?: string;
  note?: string;
  runId?: string;
  json?: boolean;
}

const flagOf: Record<string, string> = {
  taskId: '(task)',
  by: '--as',
  outcome: '--outcome',
  at: '--at',
  ticketReference: '--ticket',
  note: '--note',
};

export function registerAttest(program: Command): void {
  addSigningOptions(
    program
      .command('attest')
      .argument('<workflowId>', 'the run whose open task you answer (see `ekm list --awaiting task`)')
      .description('answer the open human task of a run (`ekm status` shows what it asks and the outcomes)')
      .option('--as <who>', 'your name as the attesters list it')
      .option('--outcome <outcome>', 'your answer: one of the outcomes the task lists')
      .option('--ticket <ref>', 'a ticket reference (required for the support contact)')
      .option('--at <time>', 'when you did it, ISO 8601 (default: now)')
      .option('--note <text>', 'a note kept with the answer in the record')
      .option('--run-id <id>', 'a specific run of the workflow id (default: the latest run)')
      .option('--json', 'print JSON'),
  ).action(async (workflowId: string, flags: AttestFlags) => {
    const runId = checkRunId(flags.runId);
    if (!flags.as?.trim()) throw new UsageError('--as: is required: give your name as the attesters list it');
    if (!flags.outcome)
      throw new UsageError('--outcome: is required: give one of the outcomes `ekm status` lists');
    const draft = {
      by: flags.as,
      outcome: flags.outcome,
      ...(flags.at ? { at: flags.at } : {}),
      ...(flags.ticket ? { ticketReference: flags.ticket } : {}),
      ...(flags.note ? { note: flags.note } : {}),
    };
    // Check the flags before contacting Temporal; the task id is filled in from the run.
    const early = attestationSchema.safeParse({ ...draft, taskId: 'open-task' });
    if (!early.success) throw new UsageError(flagIssues(early.error, (root) => flagOf[root] ?? root));
    const signer = actSigner(flags);
    const validFor = validForSeconds(flags);

    const task: TaskView = await withClient(async ({ client }) => {
      const execution = await describeRun(client, workflowId, runId);
      // Pin the run read here, so the answer goes to the run whose task was checked.
      const handle = runHandle(client, workflowId, execution.runId);
      requireRunbook(execution);
      const status = await queryStatus(client, workflowId, execution.runId);
      const open = status.openTask;
      if (execution.status.name !== 'RUNNING' || !open)
        throw new RefusedError(
          `no human task is open on ${workflowId} (run ${status.runId}, stage ${status.stage}${status.endState ? `, ended ${status.endState}` : ''})${status.openGate ? `; it waits for a vote on gate ${status.openGate.gateId} instead: \`ekm approve\`` : ''}`,
        );
      if (!open.outcomes.includes(flags.outcome!))
        throw new UsageError(
          `--outcome: ${JSON.stringify(flags.outcome)} is not an answer to task ${open.taskId} (${open.kind}): give one of ${open.outcomes.join(', ')}`,
        );
      const unsigned: Attestation = { ...early.data, taskId: open.taskId };
      const signature = signAct(signer, validFor, (expiresAt) =>
        attestationStatement(
          { workflowId, runId: execution.runId },
          status.plan?.hash ?? '',
          unsigned,
          expiresAt,
        ),
      );
      const attestation: Attestation = { ...unsigned, ...(signature ? { signature } : {}) };
      try {
        return await handle.executeUpdate(attestUpdate, { args: [attestation] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new RefusedError(`the run refused the answer: ${err.cause?.message ?? err.message}`);
        throw err;
      }
    });
    print(flags, { workflowId, task }, () =>
      [
        `task ${task.taskId} (${task.kind}) answered: ${task.answer?.outcome} by ${task.answer?.by}${task.answer?.ticketReference ? `, ticket ${task.answer.ticketReference}` : ''}`,
        `the run goes on: \`ekm status ${workflowId}\``,
      ].join('\n'),
    );
  });
}
