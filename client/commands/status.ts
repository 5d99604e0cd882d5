// `ekm status`: where a run stands — the runbook's steps and their states, the open gate (plan hash,
// approvers, deadline, votes) or the open task (what it asks, the outcomes it takes), and how it ended.
// Closed runs answer too (a worker replays them to answer the query). `--watch` re-reads every 2 s until
// the run closes.
import type { Command } from 'commander';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { withClient } from '../connect';
import { print } from '../output';
import {
  checkRunId,
  describeRun,
  queryStatus,
  renderStatus,
  requireRunbook,
  terminationOf,
  type Termination,
} from '../runs';

interface StatusFlags {
  runId?: string;
  watch?: boolean;
  json?: boolean;
}

const watchIntervalMs = 2000;

export function statusJson(
  status: RunStatus<RunSubject>,
  execution: WorkflowExecutionDescription,
  termination?: Termination,
) {
  return {
    ...status,
    execution: {
      type: execution.type,
      status: execution.status.name,
      taskQueue: execution.taskQueue,
      startTime: execution.startTime.toISOString(),
      closeTime: execution.closeTime?.toISOString() ?? null,
      ...(termination ? { termination } : {}),
    },
  };
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .argument('<workflowId>', 'the run (ekm-key:…, ekm-plan:…; see `ekm list`)')
    .description('show a run: its steps, the open gate or task, and how it ended')
    .option('--run-id <id>', 'a specific run of the workflow id (default: the latest run)')
    .option(
      '--watch',
      'print again on every change (every 2 s) until the run closes; Ctrl-C stops watching, not the run (with --json: one JSON document per line)',
    )
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: StatusFlags) => {
      const runId = checkRunId(flags.runId);
      await withClient(async ({ client }) => {
        // Pin the run once found, so a watch never jumps to a newer run (e.g. a restore) of the same id.
        const first = await describeRun(client, workflowId, runId);
        requireRunbook(first);
        let last = '';
        for (;;) {
          const execution = await describeRun(client, workflowId, first.runId);
          const status = await queryStatus(client, workflowId, first.runId);
          const closed = execution.status.name !== 'RUNNING';
          const termination = await terminationOf(client, execution);
          if (!flags.watch) {
            print(flags, statusJson(status, execution, termination), () =>
              renderStatus(status, execution, termination).join('\n'),
            );
            return;
          }
          const text = flags.json
            ? JSON.stringify(statusJson(status, execution, termination))
            : renderStatus(status, execution, termination).join('\n');
          if (text !== last) {
            console.log(flags.json ? text : `--- ${new Date().toISOString()}\n${text}`);
            last = text;
          }
          if (closed) return;
          await new Promise((r) => setTimeout(r, watchIntervalMs));
        }
      });
    });
}
