// What the runbook commands share: finding a run (latest or `--run-id`), asking it for its status, the
// Web UI link people paste into tickets, where the evidence lies, and how a run is printed for people.
import { rootMessage } from '../common/rootMessage';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { z } from 'zod';
import type { GateView, TaskView } from '../common/approvals';
import type { FleetChild } from '../common/fleetStatus';
import { describeAction } from '../providers/planActions';
import { ordinal, roleTurnNames, type RoleQueueView } from '../common/roleTurns';
import { roleQueueWorkflowId } from '../common/workflowIds';
import type { RevocationPlan } from '../providers/runStatus';
import type { RunStatus } from '../providers/runStatus';
import { runHeadline, type RunSubject } from '../providers/runSubject';
import { statusQuery } from '../workflows/revoke/messages';
import { sandboxDescriptionFile } from './commands/sandboxDescribe';
import { CliError, ExitCode, UsageError } from './errors';
import type { StopView } from '../common/resolution';

/** The workflow types a runbook command may address (`ekm key inspect` runs are not runbook runs). */
export const runbookWorkflowTypes = ['revokeKey', 'restoreAccess', 'rotateKey'] as const;

// --- Where things are ------------------------------------------------------------------------------------

/** The sandbox's data folder (what `npm start` writes), also when the CLI runs from dist/. */
export function sandboxDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.dirname(sandboxDescriptionFile(env));
}

/** The Web UI: EKM_UI_URL, else the running sandbox's, else the dev server's default. */
export function uiBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EKM_UI_URL) return env.EKM_UI_URL.replace(/\/+$/, '');
  try {
    const description = JSON.parse(fs.readFileSync(sandboxDescriptionFile(env), 'utf8')) as {
      temporal?: { uiUrl?: string };
    };
    if (description.temporal?.uiUrl) return description.temporal.uiUrl.replace(/\/+$/, '');
  } catch {
    // No sandbox here: fall through to the default.
  }
  return 'http://localhost:8233';
}

/** The run's history page. Workflow ids name key ARNs (':' and '/'), so the id is encoded. */
export function runLink(namespace: string, workflowId: string, runId: string): string {
  return `${uiBaseUrl()}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/** Where the worker writes run records: EKM_EVIDENCE_DIR, else the sandbox's `.data/evidence`. */
export function evidenceDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EKM_EVIDENCE_DIR || path.join(sandboxDataDir(env), 'evidence');
}

// --- Flags -------------------------------------------------------------------------------------------------

/** Who is asking, when `--requester` is not given: $EKM_USER, else the OS user name. */
export function defaultRequester(): string | undefined {
  if (process.env.EKM_USER) return process.env.EKM_USER;
  try {
    return os.userInfo().username;
  } catch {
    return undefined; // no passwd entry (some containers): then --requester is required
  }
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `--run-id` is checked here so a typo is a usage error, not a server error about a malformed id. */
export function checkRunId(runId: string | undefined): string | undefined {
  if (runId !== undefined && !uuid.test(runId))
    throw new UsageError(
      `--run-id: ${JSON.stringify(runId)} is not a run id (a UUID, as \`ekm status\` and the Web UI show it); omit it for the latest run`,
    );
  return runId;
}

/**
 * One sentence per schema issue, each starting with the flag a person typed (not the schema's field
 * name), so the message says what to change on the command line.
 */
export function flagIssues(
  error: z.ZodError,
  flagFor: (pathRoot: string, rest: (string | number)[]) => string,
): string {
  return error.issues
    .map((issue) => {
      const [root, ...rest] = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const flag = root === undefined ? '(input)' : flagFor(String(root), rest);
      // zod's wording for a missing value is about types; a person needs "give this flag".
      const message = /received undefined/.test(issue.message) ? 'is required' : issue.message;
      return `${flag}: ${message}`;
    })
    .join('; ');
}

/** Checks a workflow input against its schema before Temporal is contacted; a usage error names the flags. */
export function checkFlags<S extends z.ZodType>(
  schema: S,
  input: z.input<S>,
  flagOf: Record<string, string>,
): z.input<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new UsageError(flagIssues(parsed.error, (root) => flagOf[root] ?? root));
  return input;
}

// --- Finding a run and asking it ---------------------------------------------------------------------------

export function runHandle(client: Client, workflowId: string, runId?: string): WorkflowHandle {
  return client.workflow.getHandle(workflowId, runId);
}

/** Maps "no such workflow" to a message naming what was asked for, with its own exit code. */
export function notFound(err: unknown, workflowId: string, runId?: string): never {
  if (err instanceof WorkflowNotFoundError)
    throw new CliError(
      `no workflow ${workflowId}${runId ? ` with run ${runId}` : ''} in this namespace: check the id with \`ekm list\` (TEMPORAL_NAMESPACE selects the namespace)`,
      ExitCode.notFound,
    );
  throw err;
}

export async function describeRun(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<WorkflowExecutionDescription> {
  try {
    return await runHandle(client, workflowId, runId).describe();
  } catch (err) {
    return notFound(err, workflowId, runId);
  }
}

/** Why and by whom a run was terminated (e.g. by `npm start` ending a previous sandbox's runs). */
export interface Termination {
  reason: string;
  identity: string;
}

/** A terminated run's reason: Temporal keeps it in the close event, which describe() does not return. */
export async function terminationOf(
  client: Client,
  execution: WorkflowExecutionDescription,
): Promise<Termination | undefined> {
  if (execution.status.name !== 'TERMINATED') return undefined;
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: execution.workflowId, runId: execution.runId },
    historyEventFilterType:
      temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  });
  const ended = history?.events?.at(-1)?.workflowExecutionTerminatedEventAttributes;
  return ended ? { reason: ended.reason ?? '', identity: ended.identity ?? '' } : undefined;
}

/** Checks the run is one of ours before sending it runbook messages. */
/** The workflow types whose gates `ekm approve` and `ekm reject` vote on: the runbooks', and a fleet's. */
export const gatedWorkflowTypes: readonly string[] = [...runbookWorkflowTypes, 'revokeFleet'];

export function requireRunbook(
  description: WorkflowExecutionDescription,
  types: readonly string[] = runbookWorkflowTypes,
): void {
  if (!types.includes(description.type))
    throw new UsageError(
      description.type === 'revokeFleet'
        ? `${description.workflowId} is a fleet: \`ekm fleet status ${description.workflowId}\` shows it and its children; \`ekm approve\` votes on its gates`
        : `${description.workflowId} is a ${description.type} run, not a revocation or restore: runbook commands address revokeKey and restoreAccess runs (see \`ekm list\`)`,
    );
}

/** How long a status query may wait for a worker. Closed runs are answered too, by replaying them. */
const queryDeadlineMs = 15_000;
const grpcDeadlineExceeded = 4;

export async function queryStatus(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<RunStatus<RunSubject>> {
  const handle = runHandle(client, workflowId, runId);
  const askedAt = Date.now();
  try {
    return await client.connection.withDeadline(Date.now() + queryDeadlineMs, () =>
      handle.query(statusQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return notFound(err, workflowId, runId);
    // The server answers DEADLINE_EXCEEDED (wrapped by the client: the gRPC status is the cause), or the
    // client gives up at our deadline and reports the call CANCELLED: either way no worker answered.
    const grpc = [err, (err as Error).cause].find(isGrpcServiceError);
    if (grpc?.code === grpcDeadlineExceeded || Date.now() - askedAt >= queryDeadlineMs - 250)
      throw new CliError(
        `no worker answered the status query of ${workflowId} within ${queryDeadlineMs / 1000} s: a worker must poll the run's task queue (\`ekm check --task-queue QUEUE\`); \`ekm evidence\` reads the record of a closed run without one`,
      );
    throw new CliError(`the status query of ${workflowId} failed: ${failureMessage(err)}`);
  }
}

/** The innermost message of a failure chain (workflow → activity → the activity's own refusal). */
export function failureMessage(err: unknown): string {
  return rootMessage(err);
}

/**
 * Runs whose method changes a role take turns on it (workflows/roleQueue.ts): a busy role is not refused,
 * the run waits in line and `ekm status` shows its place. Before starting one, the CLI says so on stderr,
 * naming the run that holds the role. A method that changes only the key takes no turn.
 */
export async function awaitRoleTurn(
  client: Client,
  roleArn: string,
  changesRole: boolean,
  /** The id about to be started: a holder with this id is the key's own conflict, reported by the start. */
  startingAs: string,
): Promise<void> {
  if (!changesRole) return;
  const queue = runHandle(client, roleQueueWorkflowId(roleArn));
  const view = await queue.query<RoleQueueView>(roleTurnNames.queueQuery).catch(() => undefined); // no queue (nobody holds the role) or none answering: nothing to say
  if (!view?.holder || view.holder.workflowId === startingAs) return;
  console.error(
    `ekm: ${roleArn} is in use by run ${view.holder.workflowId}${view.line.length ? ` (${view.line.length} waiting)` : ''}; this run waits its turn (${ordinal(view.line.length + 2)} in line) — \`ekm status ${startingAs}\` shows where it stands`,
  );
}

// --- Printing ---------------------------------------------------------------------------------------------

export function renderPlan(plan: RevocationPlan | undefined, indent = ''): string[] {
  if (!plan) return [`${indent}(no plan yet: the run is still in preflight)`];
  const lines = [`${indent}plan ${plan.hash}`, ...plan.changes.map((c, i) => `${indent}  ${i + 1}. ${c}`)];
  // A restore's: the snapshot it applies and, per document, what it is now and what is put back.
  if (plan.snapshot)
    lines.push(
      `${indent}snapshot  ${plan.snapshot.sha256} of ${plan.snapshot.workflowId} run ${plan.snapshot.runId}, verified against the revocation’s signed evidence`,
    );
  for (const d of plan.diff ?? [])
    lines.push(`${indent}diff      ${d.document}`, ...d.lines.map((l) => `${indent}            ${l}`));
  if (plan.alsoStops.length)
    lines.push(`${indent}also stops:`, ...plan.alsoStops.map((s) => `${indent}  - ${s}`));
  if (plan.projectsToArchive.length)
    lines.push(`${indent}projects to archive: ${plan.projectsToArchive.join(', ')}`);
  if (plan.warnings.length)
    lines.push(`${indent}warnings:`, ...plan.warnings.map((w) => `${indent}  - ${w}`));
  return lines;
}

/**
 * The children a fleet's gate lists, each with its plan and — for the plan whose actions the fleet knows
 * (a wave's gate lists a child's later hash) — what the vote allows on it, in the runbook's words.
 */
export function fleetGateChildren(gate: GateView, children: FleetChild[]): string[] {
  return (gate.children ?? []).flatMap((c) => [
    `             - ${c.workflowId}: plan ${c.planHash}`,
    ...(children.find((k) => k.workflowId === c.workflowId && k.planHash === c.planHash)?.actions ?? []).map(
      (a) => `                 ${describeAction(a)}`,
    ),
  ]);
}

export function renderGate(gate: GateView, status: RunStatus<RunSubject>, workflowId: string): string[] {
  const approvals = gate.votes.filter((v) => v.decision === 'approve').length;
  // Since actions were bound, the gate's hash (what a vote signs) covers the plan(s) it lists, the actions
  // below, its kind and break-glass; before, it was the plan's own hash.
  const covers = (hash: string | undefined) =>
    hash !== undefined && (gate.plans ? gate.plans.includes(hash) : gate.planHash === hash);
  const lines = [
    `open gate  ${gate.gateId} (${gate.kind}${gate.breakGlass ? ', break-glass' : ''}) for plan ${gate.planHash}`,
    ...(gate.plans
      ? [
          `           (the hash votes sign: it covers plan ${gate.plans.join(', ')}, the actions below, the gate's kind and break-glass)`,
        ]
      : []),
    `           approvers ${gate.policy.approvers.join(', ')}: ${approvals}/${gate.policy.quorum} approval(s), one rejection rejects; deadline ${gate.deadline}`,
    ...(gate.votes.length
      ? gate.votes.map(
          (v) =>
            `           ${v.decision} by ${v.approver} at ${v.at} (${v.via})${v.comment ? `: ${v.comment}` : ''}`,
        )
      : ['           no votes yet']),
  ];
  if (gate.actions)
    lines.push(
      `           it authorises exactly these actions (each change checks it is one of them):`,
      ...(gate.actions.length
        ? gate.actions.map((a) => `             - ${describeAction(a)}`)
        : ['             (none: nothing can act on this gate)']),
    );
  // A fleet's gate lists its children's plans; each child's own plan is shown by `ekm status <child>`.
  if (gate.children)
    lines.push(
      `           it covers exactly these children's plans (\`ekm fleet status\`, \`ekm status <child>\`):`,
      ...fleetGateChildren(gate, (status as { children?: FleetChild[] }).children ?? []),
    );
  else if (status.plan && covers(status.plan.hash)) lines.push(...renderPlan(status.plan, '           '));
  else if (status.followUpPlan && covers(status.followUpPlan.hash))
    lines.push(
      `           plan ${status.followUpPlan.hash} (the irreversible part, after the approved revocation):`,
      ...status.followUpPlan.changes.map((c, i) => `             ${i + 1}. ${c}`),
    );
  else if (status.plan)
    // The archive and deletion gates are bound to a follow-up plan whose steps the status does not carry:
    // show the revocation's plan they follow from, so the approver still sees what the run is doing.
    lines.push(
      `           this gate's plan covers the ${gate.kind} steps of the run's plan:`,
      ...renderPlan(status.plan, '           '),
    );
  const short = gate.planHash.slice(0, 12);
  lines.push(`           vote: ekm approve ${workflowId} --as NAME --plan ${short}   (or ekm reject …)`);
  return lines;
}

export function renderTask(task: TaskView, workflowId: string): string[] {
  return [
    `open task  ${task.taskId} (${task.kind}): ${task.asks}`,
    `           outcomes ${task.outcomes.join(', ')}; deadline ${task.deadline}`,
    `           answer: ekm attest ${workflowId} --as NAME --outcome ${task.outcomes[0] ?? 'OUTCOME'}${task.kind === 'chatgpt-support' ? ' --ticket REF' : ''}`,
  ];
}

/** A run stopped for a person: what it was making, what it found, and the three ways on. */
export function renderStop(stop: StopView, workflowId: string): string[] {
  return [
    `stopped    ${stop.stopId} at the ${stop.step}: ${stop.why}`,
    `           name ${stop.name}; stop hash ${stop.stopHash.slice(0, 12)}…; deadline ${stop.deadline}`,
    ...(stop.candidates.length
      ? stop.candidates.map((c) => `           found ${c.id}: ${c.description}`)
      : ['           found nothing under that name']),
    `           decide (one of ${stop.policy.approvers.join(', ')}; ${stop.policy.quorum} needed):`,
    ...(stop.candidates.length
      ? [`             ekm resolve ${workflowId} --as NAME --adopt ${stop.candidates[0]!.id}`]
      : []),
    `             ekm resolve ${workflowId} --as NAME --create-again`,
    `             ekm resolve ${workflowId} --as NAME --abandon`,
  ];
}

export function renderStatus(
  status: RunStatus<RunSubject>,
  execution?: WorkflowExecutionDescription,
  termination?: Termination,
): string[] {
  const r = status.request;
  const product = r.product ? `${r.product}${r.projectIds.length ? `, ${r.projectIds.join(', ')}` : ''}` : '';
  const lines = [
    `workflow   ${status.workflowId}`,
    `run        ${status.runId}${execution ? `  (${execution.type}, ${execution.status.name}${execution.closeTime ? ` at ${execution.closeTime.toISOString()}` : ''})` : ''}`,
    ...(status.restores ? [`restores   ${status.restores.workflowId} run ${status.restores.runId}`] : []),
    `request    ${runHeadline(r)}${product ? ` (${product})` : ''}`,
    `           ${r.changeTicket}, asked by ${r.requester}${r.urgency ? `, ${r.urgency}` : ''}: ${r.reason}`,
    `stage      ${status.stage}`,
    'steps',
    ...status.steps.map((s) => `  ${s.state.padEnd(8)} ${s.title}${s.summary ? ` — ${s.summary}` : ''}`),
  ];
  if (status.openGate) lines.push(...renderGate(status.openGate, status, status.workflowId));
  if (status.openTask) lines.push(...renderTask(status.openTask, status.workflowId));
  if (status.openStop) lines.push(...renderStop(status.openStop, status.workflowId));
  if (status.refusedVoteCount) {
    const last = status.refusedVotes.at(-1);
    lines.push(
      `refused    ${status.refusedVoteCount} signalled vote(s)${last ? `; last: ${last.approver} on ${last.gateId}: ${last.why}` : ''}`,
    );
  }
  if (status.endState)
    lines.push(`ended      ${status.endState}${status.endReason ? ` — ${status.endReason}` : ''}`);
  else if (termination)
    lines.push(
      `ended      terminated by ${termination.identity || 'someone'}: ${termination.reason || '(no reason given)'}`,
    );
  else if (execution && execution.status.name !== 'RUNNING')
    lines.push(`ended      ${execution.status.name.toLowerCase()} (the run recorded no end state)`);
  return lines;
}
