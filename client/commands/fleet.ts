// `ekm fleet plan|start|status`: many keys at once from one file (docs/fleet.md). `plan` runs the fleet
// plan-only — every key planned by its own plan-only run, one fleet plan hash over them all — and prints
// it; `start` starts the fleet (signed by the requester, as `ekm revoke start` is); `status` shows where
// every child stands, counts per stage and a progress bar, `--watch` until the fleet closes. Approvers vote
// on the fleet's gates with `ekm approve <fleet id>`, on a drifted child's own gate with `ekm approve <child>`.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { countsOf, finishedCount, type FleetStatus } from '../../common/fleetStatus';
import { EkmStage } from '../../common/searchAttributes';
import { describeAction } from '../../providers/planActions';
import type { revokeFleet } from '../../workflows';
import { fleetStatusQuery } from '../../workflows/fleet/messages';
import { addSigningOptions, signedStart, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { CliError } from '../errors';
import { readFleetFile, type FleetFileFlags } from '../fleetFile';
import { print } from '../output';
import { checkRunId, describeRun, failureMessage, fleetGateChildren, runHandle, runLink } from '../runs';

interface FleetFlags extends FleetFileFlags, SigningFlags {
  taskQueue: string;
  json?: boolean;
}

const watchIntervalMs = 2000;

export function registerFleet(program: Command, defaultTaskQueue: string): void {
  const fleet = program
    .command('fleet')
    .description('revoke many keys at once from one file: plan, start, status (docs/fleet.md)');
  const withFileFlags = (command: Command) =>
    command
      .requiredOption(
        '--file <fleet.yaml>',
        'the fleet file (YAML or JSON): requester, reason, changeTicket, keys',
      )
      .option(
        '--concurrency <n>',
        'how many children run at once (default: the file’s `concurrency`, else 4)',
      )
      .option('--task-queue <queue>', 'the task queue the ekm worker polls', defaultTaskQueue)
      .option('--json', 'print JSON');

  addSigningOptions(
    withFileFlags(
      fleet
        .command('plan')
        .description(
          'plan every key of the file without changing anything: one fleet plan hash over every key’s plan',
        ),
    ),
  ).action(async (flags: FleetFlags) => {
    const { input, request } = readFleetFile(flags, true);
    const workflowId = `ekm-fleet-plan:${request.changeTicket}:${randomUUID()}`;
    const { result, link } = await withClient(async ({ client, namespace }) => {
      const handle = await client.workflow.start<typeof revokeFleet>('revokeFleet', {
        taskQueue: flags.taskQueue,
        workflowId,
        args: [input],
        staticSummary: `Plan only: fleet of ${request.requests.length} key(s), ${request.changeTicket}`,
        typedSearchAttributes: [{ key: EkmStage, value: 'started' }],
      });
      const link = runLink(namespace, workflowId, handle.firstExecutionRunId);
      try {
        return { result: await handle.result(), link };
      } catch (err) {
        if (err instanceof WorkflowFailedError)
          throw new CliError(
            `the fleet's plan failed: ${failureMessage(err)} (nothing was changed; ${link})`,
          );
        throw err;
      }
    });
    print(flags, { ...result, link }, () =>
      [
        `plan-only fleet ${workflowId}`,
        `  ${link}`,
        `fleet plan ${result.plan?.hash ?? '(none: no key could be planned)'}`,
        ...result.children.flatMap((c) => [
          `  keys[${c.index}] ${c.key}: ${c.planHash ? `plan ${c.planHash}` : `not planned: ${c.reason ?? c.endState}`}`,
          ...(c.actions ?? []).map((a) => `      ${describeAction(a)}`),
        ]),
        'nothing was changed: this was a plan-only fleet; `ekm fleet start` with the same file lists the same plans unless a key changed meanwhile',
      ].join('\n'),
    );
  });

  addSigningOptions(
    withFileFlags(
      fleet
        .command('start')
        .description(
          'start the fleet: every key planned, one approval of the fleet’s plan, then the children run',
        ),
    ),
  ).action(async (flags: FleetFlags) => {
    const { input, request } = readFleetFile(flags, false);
    const workflowId = `ekm-fleet:${request.changeTicket}:${randomUUID()}`;
    const started = await withClient(async ({ client, namespace }) => {
      const handle = await client.workflow.start<typeof revokeFleet>('revokeFleet', {
        taskQueue: flags.taskQueue,
        workflowId,
        // Signed by the requester for this id and exactly this file's request (a production worker needs it).
        args: [signedStart(flags, workflowId, input)],
        workflowIdConflictPolicy: 'FAIL',
        staticSummary: `Fleet of ${request.requests.length} key(s), ${request.changeTicket}: ${request.reason}`,
        typedSearchAttributes: [{ key: EkmStage, value: 'started' }],
      });
      const runId = handle.firstExecutionRunId;
      return {
        workflowId,
        runId,
        keys: request.requests.length,
        link: runLink(namespace, workflowId, runId),
      };
    });
    print(flags, started, () =>
      [
        `started    ${started.workflowId} (${started.keys} key(s))`,
        `run        ${started.runId}`,
        `Web UI     ${started.link}`,
        `next       ekm fleet status ${started.workflowId} --watch   (approvers: ekm approve ${started.workflowId} --as NAME --plan HASH)`,
      ].join('\n'),
    );
  });

  fleet
    .command('status')
    .argument('<workflowId>', 'the fleet (ekm-fleet:…)')
    .description(
      'show a fleet: counts per stage, a progress bar, the open gate, every child’s stage and outcome',
    )
    .option('--run-id <id>', 'a specific run of the fleet (default: its latest, after any continue-as-new)')
    .option(
      '--watch',
      'print again on every change (every 2 s) until the fleet closes; with --json one document per line',
    )
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: { runId?: string; watch?: boolean; json?: boolean }) => {
      const runId = checkRunId(flags.runId);
      await withClient(async ({ client }) => {
        let last = '';
        for (;;) {
          const { status, closed } = await fleetStatusOf(client, workflowId, runId);
          if (!flags.watch) {
            print(flags, status, () => renderFleet(status).join('\n'));
            return;
          }
          const text = flags.json ? JSON.stringify(status) : renderFleet(status).join('\n');
          if (text !== last) {
            if (!flags.json && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
            console.log(text);
            last = text;
          }
          if (closed) return;
          await new Promise((r) => setTimeout(r, watchIntervalMs));
        }
      });
    });
}

/** The fleet's status from its latest run (a fleet continues as new: its id follows the chain). */
async function fleetStatusOf(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ status: FleetStatus; closed: boolean }> {
  const execution = await describeRun(client, workflowId, runId);
  if (execution.type !== 'revokeFleet')
    throw new CliError(
      `${workflowId} is a ${execution.type} run, not a fleet: \`ekm status ${workflowId}\` shows it`,
    );
  const status = await runHandle(client, workflowId, execution.runId).query(fleetStatusQuery);
  return { status, closed: execution.status.name !== 'RUNNING' };
}

/** A bar of `width` characters, `done` of `total` filled. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

export function renderFleet(status: FleetStatus): string[] {
  const lines = [
    `fleet      ${status.workflowId} (run ${status.runId}${status.continuedAsNew ? `, continued as new ${status.continuedAsNew}×` : ''})`,
    `asked by   ${status.request.requester}, ${status.request.changeTicket}: ${status.request.reason}`,
    `stage      ${status.stage}${status.endState ? ` — ended ${status.endState}: ${status.endReason}` : ''}`,
    `plan       ${status.plan?.hash ?? '(not yet)'}`,
    `progress   ${progressBar(finishedCount(status.children), status.children.length)} finished, at most ${status.request.concurrency} at once`,
    `stages     ${Object.entries(countsOf(status.children))
      .map(([stage, n]) => `${stage} ${n}`)
      .join(', ')}`,
  ];
  const gate = status.openGate;
  if (gate)
    lines.push(
      `open gate  ${gate.gateId} (${gate.kind}${gate.breakGlass ? ', break-glass' : ''}) for hash ${gate.planHash}`,
      `           it covers exactly these children's plans:`,
      ...fleetGateChildren(gate, status.children),
      `           approvers ${gate.policy.approvers.join(', ')}: ${gate.votes.filter((v) => v.decision === 'approve').length}/${gate.policy.quorum}, deadline ${gate.deadline}`,
      `           vote: ekm approve ${status.workflowId} --as NAME --plan ${gate.planHash.slice(0, 12)}   (or ekm reject …)`,
    );
  lines.push(
    'children',
    ...status.children.map(
      (c) =>
        `  [${c.index}] ${c.workflowId}: ${c.stage === 'ended' || c.stage === 'not-started' ? `${c.endState}${c.reason ? ` (${c.reason})` : ''}` : `${c.stage}${c.waitingFor ? ` ${c.waitingFor}` : ''}`}${c.stage === 'awaiting-approval' ? ` — its own gate: ekm approve ${c.workflowId}` : ''}`,
    ),
  );
  return lines;
}
