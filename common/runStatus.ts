// What a revocation run reports about itself: the `status` query's answer, the evidence record's body,
// and the run's result. One shape, so the CLI, the Web UI checklist and the evidence agree. The request,
// the audit trail's reports and the key's rotation are in their cloud's shapes: providers/runStatus.ts
// names every cloud's (RunStatus).
import type { RevokedKey } from './revokedKeys';
import type { GateView, RefusedVote, TaskView } from './approvals';
import type { ValidationView } from './openaiViews';
import type { AccessProof, RotationChangeOf, RotationStateCommon } from './rotationRequest';
import type { RunSubjectCommon } from './runSubject';
import type { TrailReport, UsageSample } from './usage';
import type { StopView } from './resolution';
import type { PlanActionOf } from './planActions';

/** One read of the audit trail: its report, or why it could not be read (never a reason to stop). */
export interface UsageReadOf<Report extends TrailReport> {
  /** AWS: CloudTrail's report; Google Cloud: Cloud Logging's (the same counts, with its source and caveats). */
  report?: Report;
  error?: string;
}

/** After the cache wait: the role's successful uses since the revocation took effect (there must be none). */
export interface UsageCheckOf<Report extends TrailReport> extends UsageReadOf<Report> {
  revokedAt: string;
  /** The revoke call's end plus the propagation grace: successful uses from here on stop the run. */
  effectiveFrom: string;
  until: string;
  /** Successful uses after `effectiveFrom` (at most the report's samples). */
  lateUses: UsageSample[];
  /** Successful uses between the revoke call and `effectiveFrom`: reported, not held against it. */
  graceUses: number;
}

/** Where a run ended. Everything before `revoked-*` changed nothing in any cloud. */
export const endStates = [
  'planned', // a plan-only run: preflight and plan, nothing changed
  'refused', // preflight found the request inconsistent with the world: nothing changed
  'rejected', // an approver rejected the revoke gate: nothing changed
  'expired', // the revoke gate's deadline passed: nothing changed
  'cancelled', // cancelled before the revoke: nothing changed
  'revoke-failed', // the revoke step failed: compare the key and role with the snapshot (it may be partial)
  'revoked-unverified', // access revoked; not (yet) confirmed by validate and probes
  'revoked-verified', // access revoked and confirmed; project not archived
  'access-regranted', // confirmed, then found re-granted before the archive: stopped, nothing archived
  'archive-incomplete', // the irreversible part failed part-way: see which steps are done
  'archived', // revoked, confirmed, project(s) archived; no working replacement (not asked for, or failed)
  'completed', // the whole runbook, replacement included
  'restored', // a restore run put back what a revocation had removed; OpenAI validates again
  'restored-unverified', // the snapshot was put back, but OpenAI has not validated the key yet
  'restore-failed', // the restore step failed part-way: compare the key and role with the snapshot
  'rotated', // a rotation run: rotated, and OpenAI still validates and reads old data
  'rotated-unverified', // a rotation run: rotated, cancelled before OpenAI's access was checked again
  'rotate-failed', // a rotation run: KMS refused the rotation (nothing changed, or see the step)
  'rotation-broke-access', // a rotation run: rotated, and OpenAI could no longer use the key — investigate now
  'checked', // a read-only usage check ran to its end
] as const;
export type EndState = (typeof endStates)[number];

export type StepState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'waiting';

export interface StepRecord {
  step: string;
  title: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  /** One line for people. */
  summary?: string;
  /** What an auditor needs: request ids, answers, snapshots. */
  data?: unknown;
}

export interface RunSettingsView {
  /** `sandbox` or `production`, as the worker is configured: a run cannot choose. */
  mode: 'sandbox' | 'production';
  openAiBaseUrl: string;
  awsRegion: string;
  cacheWaitSeconds: number;
  validateConfirmations: number;
  validateIntervalSeconds: number;
  validateWindowSeconds: number;
  probeWindowSeconds: number;
  probeIntervalSeconds: number;
  /** Audit-trail reads around the revocation (absent in runs from before they were made). */
  usage?: { deliveryLagSeconds: number; propagationGraceSeconds: number; lookbackSeconds: number };
  /** The scheduled-deletion watchdog's policy. */
  watchdog?: { pollSeconds: number; cancelDeletionOnUse: boolean };
  /** Where the run's changes go (the mutating worker's queue), when the worker splits reads from changes. */
  mutatingTaskQueue?: string;
  approvals: {
    gates: Record<string, { approvers: string[]; quorum: number; deadlineSeconds: number } | undefined>;
    /** `gates`: what it may decide (absent in runs from before it was scoped: then every gate). */
    breakGlass?: { approvers: string[]; quorum: number; deadlineSeconds: number; gates?: string[] };
    attesters: string[];
    taskDeadlineSeconds: number;
    /** Person → public keys acts must be signed with (absent in runs from before signatures). */
    signers?: Record<string, string[]>;
    /** Only a sandbox worker takes unsigned acts (marked unauthenticated in the record). */
    unsignedAccepted?: boolean;
    /** Approver keys revoked from a time (absent when none is): acts signed with them are refused from then. */
    revokedKeys?: RevokedKey[];
  };
  /** sha256 of the settings above: part of the plan hash, so a changed policy means a new plan. */
  digest: string;
}

export interface RevocationPlanOf<Action extends PlanActionOf> {
  /** The exact cloud changes and API calls, in order. */
  changes: string[];
  /** What the plan's gate authorises, canonically (common/planActions.ts); absent in older runs. */
  actions?: Action[];
  /** What the method stops besides OpenAI. */
  alsoStops: string[];
  projectsToArchive: string[];
  warnings: string[];
  hash: string;
  /**
   * A restore's plan: each document the restore puts back, as it is now and as the snapshot has it — what
   * approvers approve (absent in revocations, and in restores before the diff was shown).
   */
  diff?: DocumentDiff[];
  /** A restore's plan: the snapshot it applies, named by its hash and checked against the signed chain. */
  snapshot?: KeptSnapshot;
}

/** One document a restore changes: lines prefixed `  ` (kept), `- ` (now, removed), `+ ` (put back). */
export interface DocumentDiff {
  document: string;
  lines: string[];
}

/** The access snapshot a revocation kept, as its signed chain names it. */
export interface KeptSnapshot {
  workflowId: string;
  runId: string;
  file: string;
  /** `sha256:` + hex sha256 of the snapshot's canonical JSON. */
  sha256: string;
}

/** What a run's report holds in its cloud's shapes (providers/runStatus.ts names every cloud's). */
export interface CloudShapes {
  /** A read of the cloud's audit trail. */
  report: TrailReport;
  /** The key's rotation as the cloud reports it. */
  rotationState: RotationStateCommon;
  /** The actions a gate approves, the cloud's own among them. */
  action: PlanActionOf;
}

/** A run's report: `R` its request, `C` the shapes of its cloud. */
export interface RunStatusOf<R extends RunSubjectCommon, C extends CloudShapes> {
  workflowId: string;
  runId: string;
  request: R;
  stage: string;
  settings?: RunSettingsView;
  plan?: RevocationPlanOf<C['action']>;
  /** The plan of the irreversible part (archive, replacement, deletion) the second gate is bound to. */
  followUpPlan?: { hash: string; changes: string[]; actions?: C['action'][] };
  steps: StepRecord[];
  gates: GateView[];
  openGate?: GateView;
  tasks: TaskView[];
  openTask?: TaskView;
  /** Where the run stopped for a person (a name taken, a create unconfirmed) and what they decided. */
  stops?: StopView[];
  openStop?: StopView;
  refusedVotes: RefusedVote[];
  refusedVoteCount: number;
  cacheWait?: { startedAt: string; endedAt?: string; seconds: number };
  /** The access snapshot this revocation kept for `ekm restore`, by its hash (none in older runs). */
  accessSnapshot?: KeptSnapshot;
  /**
   * The audit trail before the revocation (last use) and after the cache wait (no successful use); for a
   * usage check, what it read (`window`) and validate's answer.
   */
  usage?: {
    before?: UsageReadOf<C['report']>;
    after?: UsageCheckOf<C['report']>;
    window?: UsageReadOf<C['report']> & { validation?: ValidationView; validationError?: string };
  };
  endState?: EndState;
  endReason?: string;
  /** For a restore run: the revocation it undoes. */
  restores?: { workflowId: string; runId: string };
  /** A rotation run: the key's rotation before, the change, and OpenAI's access before and after. */
  rotation?: {
    before?: C['rotationState'];
    change?: RotationChangeOf<C['rotationState']>;
    accessBefore?: AccessProof;
    accessAfter?: AccessProof;
  };
  /** The workflow watching the old key's deletion window (it outlives the revocation). */
  deletionWatch?: { workflowId: string; runId?: string; note: string };
  replacement?: {
    keyArn?: string;
    /** Google Cloud: the replacement key's resource name. */
    keyName?: string;
    roleArn?: string;
    externalKeyId?: string;
    projectId?: string;
  };
}
