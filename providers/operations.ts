// What the runbooks (workflows/) ask of a key's cloud, step by step. This is workflow code: it runs in the
// workflow bundle and calls the cloud's activities. Each cloud implements it in providers/<cloud>/workflow/;
// the runbooks look the cloud up here (operationsOf) and never test its name.
import type { ActivityOptions } from '@temporalio/workflow';
import type { GcpKeyUsageReport } from '../activities';
import type { ApprovalProof } from '../common/approvalProof';
import type { KeyDescription } from '../common/keys';
import type { RotateKeyRequest, KeyRotationState, RotationChange } from './rotateRequests';
import type { KeyUsageReport } from './aws/usageReport';
import type { WatchedKey } from './watchRequests';
import type { Gatekeeper } from '../workflows/approvals/gatekeeper';
import type { Replacement } from '../workflows/revoke/provision';
import type { Read } from '../workflows/revoke/together';
import type { OnProvider } from './provider';
import type { AccessSnapshot, RevocationBaseline, RevocationChange, RevokeKeyRequest } from './requests';
import { awsOperations } from './aws/workflow';
import { gcpOperations } from './gcp/workflow';

/** A key, and (for a read of OpenAI's use) who OpenAI is at it, in its cloud's spelling. */
export type KeyRef =
  | { provider: 'aws'; keyArn: string; roleArn?: string }
  | { provider: 'gcp'; keyName: string; principal?: string };

/** What preflight reads from the cloud itself: the key, the access the method would remove, OpenAI's side of it. */
export type CloudBaseline = Omit<RevocationBaseline, 'projects' | 'validate' | 'probes'>;

/** A cloud's baseline reads, to be made at once (workflows/revoke/together.ts), and the baseline they make. */
export interface BaselineReads {
  reads: Read<unknown>[];
  /** The cloud's baseline from the reads' answers, in the order of `reads`. */
  assemble(answers: unknown[]): CloudBaseline;
}

/** The old key's end, scheduled: when, in words, and the cloud's answer. */
export interface ScheduledEnd {
  when: string;
  description: string;
  data: unknown;
}

/** A key that may be rotated now, or why not. */
export interface RotatableKey {
  /** Why the key cannot be rotated now; undefined when it can. */
  refusal?: string;
  /** The preflight's words for the key: "key Enabled" / "primary version 3 ENABLED". */
  summary: string;
  description: unknown;
}

export type WatchedEnd =
  /** Still waiting: the deletion (AWS) or the last version's destruction (Google Cloud) is ahead. */
  | { kind: 'pending'; deletionDate?: string }
  /** The end happened: nothing is left to use. */
  | { kind: 'gone'; why: string }
  /** Neither: someone cancelled the end (the key is Disabled, Enabled, or versions were restored). */
  | { kind: 'other'; state: string };

export interface CloudOperations {
  // --- Revocation (workflows/revokeKey.ts) ------------------------------------------------------------
  /**
   * What the cloud's revocation and restore edit besides the key that other keys share (AWS: the role),
   * locked for the run's edit; undefined when they edit only the key, which its workflow id locks.
   */
  sharedResource(request: RevokeKeyRequest): string | undefined;
  /**
   * What the request's method changes besides the key that other keys share (AWS: the role, for
   * remove-trust and remove-key-permission): runs through it take turns (workflows/roleTurn.ts). Undefined
   * when the method changes only the key, which its workflow id locks. Runs from before turns lock
   * `sharedResource` for every method.
   */
  sharedChange(request: RevokeKeyRequest): string | undefined;
  /** Preflight's cloud reads, in the order the runbook has always made them (recorded histories replay). */
  readCloudBaseline(request: RevokeKeyRequest, withProbes: boolean): Promise<CloudBaseline>;
  /** The same reads, made at once by runs from `cheaper-runs` on. */
  baselineReads(request: RevokeKeyRequest): BaselineReads;
  /** The state the method will remove, read (and kept for `ekm restore`) right before the change. */
  snapshotAccess(request: RevokeKeyRequest): Promise<AccessSnapshot>;
  /** The revoke itself, by the request's method; the gate's approvals go with it, and it checks them. */
  revokeAccess(
    request: RevokeKeyRequest,
    snapshot: AccessSnapshot,
    approval: ApprovalProof,
  ): Promise<RevocationChange>;
  /** The plan's words for the deletion step. */
  deletionChange(request: RevokeKeyRequest, now: RevocationBaseline): string;
  /** Schedules the old key's end; the deletion gate's approvals go with it. */
  scheduleKeyDeletion(request: RevokeKeyRequest, approval: ApprovalProof): Promise<ScheduledEnd>;
  /** The deletion step's record once scheduled, and the key to watch until its end (when the run watches). */
  deletionScheduled(
    request: RevokeKeyRequest,
    scheduled: ScheduledEnd,
  ): { summary: string; watch?: WatchedKey };
  /** The replacement key, OpenAI's access to it, its registration and projects. */
  provisionReplacement(
    request: RevokeKeyRequest,
    baseline: RevocationBaseline,
    gates: Gatekeeper,
    before: AccessSnapshot,
  ): Promise<Replacement>;
  /** The same, as runs from before `replacement-owned-by-proof` made it (kept so their histories replay). */
  provisionReplacementBeforeProof(
    request: RevokeKeyRequest,
    baseline: RevocationBaseline,
    approval: ApprovalProof,
    before: AccessSnapshot,
  ): Promise<Replacement>;

  // --- The audit trail (usage check, revocation, watchdog) ---------------------------------------------
  /** Every call on the key in [since, until) — by OpenAI's role or principal when `key` names it. */
  readUsage(
    key: KeyRef,
    since: string,
    until: string,
    options: ActivityOptions,
  ): Promise<KeyUsageReport | GcpKeyUsageReport>;
  /** The trail cannot show use at all (Google Cloud: no Data Access entry in the whole project). */
  trailLooksOff(report: KeyUsageReport | GcpKeyUsageReport): boolean;

  // --- Restore (workflows/restoreAccess.ts) --------------------------------------------------------------
  /** Why the revocation's snapshot is not this request's (another cloud's shape, another key), or undefined. */
  snapshotMismatch(request: RevokeKeyRequest, snapshot: AccessSnapshot): string | undefined;
  /** The plan's words for what the restore puts back, beyond its one line naming the method and snapshot. */
  restoreDetails(request: RevokeKeyRequest, snapshot: AccessSnapshot): string[];
  /** The restore itself, by the revocation's method; the restore gate's approvals go with it. */
  restoreAccess(
    request: RevokeKeyRequest,
    snapshot: AccessSnapshot,
    approval: ApprovalProof,
  ): Promise<RevocationChange>;

  // --- Rotation (workflows/rotateKey.ts) ---------------------------------------------------------------
  /** The key as its cloud describes it: it must be usable now and of a kind the cloud rotates. */
  describeForRotation(request: RotateKeyRequest): Promise<RotatableKey>;
  /** The key's rotation as its cloud reports it, in the shape both clouds' records share. */
  readRotation(request: RotateKeyRequest): Promise<KeyRotationState>;
  /** The one change, done at most once. */
  rotateOnce(request: RotateKeyRequest, approval: ApprovalProof | undefined): Promise<RotationChange>;

  // --- The deletion watchdog (workflows/watchKeyDeletion.ts) -------------------------------------------
  /** What a person does to keep the key, when the watchdog is not told to. */
  manualCancel: string;
  /** The end's date passed, the cloud has not acted yet. */
  stillPending: string;
  /** The end as the cloud reports it. */
  readEnd(key: WatchedKey): Promise<WatchedEnd>;
  /** Cancels the end because the key is in use; the cloud's words for what it did. */
  cancelEnd(key: WatchedKey): Promise<string>;

  // --- `ekm key inspect` ---------------------------------------------------------------------------------
  /** The key as its cloud describes it; `summary` is what the Web UI shows beside the read. */
  describeKey(key: string, summary: string): Promise<KeyDescription>;
}

const operations: Record<OnProvider['provider'], CloudOperations> = {
  aws: awsOperations,
  gcp: gcpOperations,
};

/** The operations of the cloud a request, run or key is on. */
export function operationsOf(subject: OnProvider): CloudOperations {
  return operations[subject.provider];
}
