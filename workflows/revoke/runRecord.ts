// The run's own account of itself: the steps of the runbook and where each stands, kept in one object
// that answers the status query, draws the Web UI checklist, keeps the search attributes current and
// becomes the evidence record.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { StepRecord, StepState } from '../../common/runStatus';
import type { RunStatus } from '../../providers/runStatus';
import type { AwsRevokeKeyRequest } from '../../providers/aws/request';
import { runHeadline, keyOf, type RunSubject } from '../../providers/runSubject';
import { EkmAwaiting, EkmKeyId, EkmProjectId, EkmProvider, EkmStage } from '../../common/searchAttributes';

const mark: Record<StepState, string> = {
  pending: '[ ]',
  running: '[ ] ⏳',
  waiting: '[ ] ✋',
  done: '[x]',
  skipped: '[x] ~~',
  failed: '[ ] ✗',
};

export class RunRecord<R extends RunSubject = AwsRevokeKeyRequest> {
  readonly status: RunStatus<R>;
  /** Search attributes set in one go of the workflow, written together (cheaper runs); else at once. */
  private readonly pending?: Map<string, SearchAttributeUpdatePair>;
  /** What was last written, by attribute: an unchanged value is not written again. */
  private readonly written = new Map<string, string>();

  /**
   * `coalesce`: every upsert is an action (docs/actions.md), so the attributes a step sets one after the
   * other (a stage and what the run awaits) are written once, when the workflow code yields, and only
   * when they changed. Runs from before wrote each at once.
   */
  constructor(request: R, steps: [string, string][], options: { coalesce?: boolean } = {}) {
    if (options.coalesce) this.pending = new Map();
    const info = workflowInfo();
    this.status = {
      workflowId: info.workflowId,
      runId: info.runId,
      request,
      stage: 'preflight',
      steps: steps.map(([step, title]) => ({ step, title, state: 'pending' })),
      gates: [],
      tasks: [],
      refusedVotes: [],
      refusedVoteCount: 0,
    };
    this.upsert([
      { key: EkmProvider, value: request.provider },
      { key: EkmKeyId, value: keyOf(request) },
      { key: EkmStage, value: 'preflight' },
      ...(request.projectIds[0] ? [{ key: EkmProjectId, value: request.projectIds[0] }] : []),
    ]);
    this.draw();
  }

  private find(step: string): StepRecord {
    const record = this.status.steps.find((s) => s.step === step);
    if (!record) throw new Error(`unknown step ${step}`); // a programming error, not a run's
    return record;
  }

  /** Marks a step as running and (unless `asStage` is false) the run's stage as this step. */
  start(step: string, summary?: string, asStage = true): void {
    const record = this.find(step);
    record.state = 'running';
    record.startedAt ??= now();
    record.summary = summary;
    if (asStage) this.stage(step);
    else this.draw();
  }

  update(step: string, state: StepState, summary?: string, data?: unknown): void {
    const record = this.find(step);
    record.state = state;
    if (summary !== undefined) record.summary = summary;
    if (data !== undefined) record.data = data;
    if (state === 'done' || state === 'skipped' || state === 'failed') record.endedAt = now();
    this.draw();
  }

  done(step: string, summary?: string, data?: unknown): void {
    this.update(step, 'done', summary, data);
  }

  stage(stage: string): void {
    this.status.stage = stage;
    this.upsert([{ key: EkmStage, value: stage }]);
    this.draw();
  }

  /** What the run waits for from a person, for "everything awaiting approval" filters. */
  awaiting(what: string[]): void {
    this.upsert([{ key: EkmAwaiting, value: what }]);
    this.draw();
  }

  private upsert(pairs: SearchAttributeUpdatePair[]): void {
    if (!this.pending) {
      upsertSearchAttributes(pairs);
      return;
    }
    const waiting = this.pending.size > 0;
    for (const pair of pairs) this.pending.set(pair.key.name, pair);
    // Written in a microtask: after the code that runs now, before the workflow waits for anything.
    if (!waiting) void Promise.resolve().then(() => this.flush());
  }

  private flush(): void {
    const changed = [...this.pending!.values()].filter(
      (p) => this.written.get(p.key.name) !== JSON.stringify(p.value),
    );
    this.pending!.clear();
    if (!changed.length) return;
    for (const p of changed) this.written.set(p.key.name, JSON.stringify(p.value));
    upsertSearchAttributes(changed);
  }

  draw(): void {
    const s = this.status;
    const r = s.request;
    const lines = [
      `**${runHeadline(r)}** — ${r.changeTicket}, asked by ${r.requester}`,
      `stage: **${s.stage}**${s.endState ? ` — ended **${s.endState}**` : ''}`,
      '',
      ...s.steps.map(
        (step) => `- ${mark[step.state]} ${step.title}${step.summary ? ` — ${step.summary}` : ''}`,
      ),
    ];
    if (s.openGate)
      lines.push(
        '',
        `✋ gate \`${s.openGate.gateId}\` open for plan \`${s.openGate.planHash.slice(0, 12)}…\` until ${s.openGate.deadline}: ${s.openGate.votes.length}/${s.openGate.policy.quorum} approvals from ${s.openGate.policy.approvers.join(', ')}`,
      );
    if (s.openTask) lines.push('', `✋ task \`${s.openTask.taskId}\`: ${s.openTask.asks}`);
    if (s.openStop)
      lines.push(
        '',
        `✋ stopped \`${s.openStop.stopId}\` at the ${s.openStop.step}: ${s.openStop.why} — \`ekm resolve ${s.workflowId} --adopt … | --create-again | --abandon\` by ${s.openStop.policy.approvers.join(', ')} until ${s.openStop.deadline}`,
      );
    setCurrentDetails(lines.join('\n'));
  }
}

export function now(): string {
  return new Date().toISOString();
}
