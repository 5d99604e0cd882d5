// The sweep of ended runs: a run that is terminated (`temporal workflow terminate`, the Web UI's
// Terminate) or times out never reaches its own last step, so it writes no evidence. The sweeper, a
// workflow a Temporal Schedule runs, finds such runs and writes a signed record of how each ended.

/** The runs the sweep looks at: every ekm run that may change something or watches what did. */
export const sweptWorkflowTypes = [
  'revokeKey',
  'restoreAccess',
  'rotateKey',
  'watchKeyDeletion',
  'verifyKeyUsage',
] as const;

/** The record the sweep writes next to a run's (absent) evidence, once per run. */
export const endedRecordFile = 'ended.json';
export const endedRecordFormat = 'ekm-run-ended/1';

export interface SweepInput {
  /** How far back closed runs are looked at (default 7 days); a schedule's interval should be well within. */
  lookbackSeconds?: number;
}

export const defaultSweepLookbackSeconds = 7 * 86400;

/** How a run ended without its own record, as Temporal's history tells it. */
export interface EndedRecord {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  status: 'terminated' | 'timed-out';
  /** The reason given to terminate (or what timed out). */
  reason?: string;
  /** Who terminated it: the identity of the client that called terminate. */
  identity?: string;
  startedAt?: string;
  closedAt?: string;
  /** Where the run stood: its stage, the last activity it scheduled, the gate or task it waited on. */
  lastStep?: string;
  lastActivity?: string;
  openGate?: string[];
  /** What was left undone: a terminated run does no clean-up and no restore. */
  note: string;
}

export interface EndedRecordFile {
  format: typeof endedRecordFormat;
  record: EndedRecord;
  /** Ed25519 over the canonical JSON of `record`, by the worker's evidence key; null when it has none. */
  signature: { algorithm: 'Ed25519'; fingerprint: string; publicKey: string; value: string } | null;
}

export interface SweepResult {
  checked: number;
  recorded: { workflowId: string; runId: string; status: EndedRecord['status'] }[];
}

/** The sweep's schedule: one per task queue (each fleet sweeps the runs of its own queue). */
export function sweepScheduleId(taskQueue: string): string {
  return `ekm-sweep-schedule:${taskQueue}`;
}
export function sweepWorkflowId(taskQueue: string): string {
  return `ekm-sweep-run:${taskQueue}`;
}
