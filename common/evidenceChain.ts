// The evidence chain: a run's record cut into an ordered list of records, each hashed together with the
// hash of the one before it, the last one signed. An auditor can then check that nothing was edited,
// removed or reordered after the worker wrote it. This module is pure (no hashing, no Node built-ins):
// it says which records a run's status becomes and how to put a status back together from them, so the
// worker that writes, the verifier and the CLI all derive the same records from the same status.
import type { CloudShapes, RunStatusOf } from './runStatus';
import type { RunSubjectCommon } from './runSubject';

/** A run's status on any cloud, as the chain carries it: the cloud's fields ride along unread. */
type AnyRunStatus = RunStatusOf<RunSubjectCommon & { provider: string }, CloudShapes>;

/** Names the file layout and hashing rules; a verifier refuses a chain of a format it does not know. */
export const chainFormat = 'ekm-evidence-chain/1';
/** The `prevHash` of the first record: there is nothing before it. */
export const genesisHash = '0'.repeat(64);
export const chainFile = 'chain.json';

export const recordKinds = [
  'header',
  'step',
  'gate',
  'task',
  /** A stop for a person (the replacement's name taken) with the resolutions given; none in older runs. */
  'stop',
  /**
   * The access snapshot a revocation kept for `ekm restore`: its file and the sha256 of its canonical JSON,
   * so a restore applies only the snapshot the signed chain names. None in older runs.
   */
  'snapshot',
  'cache-wait',
  'usage',
  'rotation',
  'end',
] as const;
export type RecordKind = (typeof recordKinds)[number];

/** The worker key that signs chains, as the header names it (the private half never leaves the worker). */
export interface ChainSigner {
  algorithm: 'Ed25519';
  /** The public key, DER SubjectPublicKeyInfo in base64: enough to verify with nothing else at hand. */
  publicKey: string;
  /** `sha256:` + hex sha256 of the DER public key: what an auditor compares with the key they trust. */
  fingerprint: string;
}

export interface ChainRecord {
  seq: number;
  kind: RecordKind;
  body: unknown;
  /** The previous record's hash (`genesisHash` for seq 0). */
  prevHash: string;
  /** Hex sha256 of the canonical JSON of `{seq, kind, body, prevHash}`. */
  hash: string;
}

export interface ChainSignature {
  algorithm: 'Ed25519';
  fingerprint: string;
  /** What was signed: the canonical JSON of `signedStatement(...)`. */
  headSeq: number;
  headHash: string;
  /** Base64 Ed25519 signature. */
  value: string;
}

export interface EvidenceChain {
  format: typeof chainFormat;
  workflowId: string;
  runId: string;
  records: ChainRecord[];
  /** Absent when the worker had no signing key: the chain then proves integrity to no one. */
  signature: ChainSignature | null;
}

export interface HeaderBody {
  format: typeof chainFormat;
  workflowId: string;
  runId: string;
  /**
   * Which key signed the chain (a verifier trusts it only when it is a key the verifier was given: this
   * names which one, e.g. across a rotation of the worker's key).
   */
  signer: ChainSigner | null;
  /**
   * The mode of the worker that wrote and signed the chain, from its own configuration — not from the run,
   * whose status a modified workflow could change: a production worker's chain says production whatever
   * its settings say. Absent in chains from before it was recorded.
   */
  mode?: 'sandbox' | 'production';
  request: AnyRunStatus['request'];
  settings?: AnyRunStatus['settings'];
  plan?: AnyRunStatus['plan'];
  followUpPlan?: AnyRunStatus['followUpPlan'];
  restores?: AnyRunStatus['restores'];
}

/** What the end record holds: everything of the status no earlier record carries. */
type EndBody = Pick<
  AnyRunStatus,
  | 'stage'
  | 'endState'
  | 'endReason'
  | 'openGate'
  | 'openTask'
  | 'openStop'
  | 'refusedVotes'
  | 'refusedVoteCount'
  | 'deletionWatch'
  | 'replacement'
>;

/**
 * The records (before hashing) a status becomes, in a fixed order: the header (request, settings, plans),
 * one per step, one per gate with its votes, one per human task, one per stop for a person with its
 * resolutions (none when the run never stopped: older chains derive the same records), the access
 * snapshot a revocation kept (by its hash; none in older runs), the cache wait,
 * the audit trail, the rotation, the end. Only what the status holds: no clock, no randomness, so a retried write derives the
 * same records and the same bytes.
 */
export function chainEntries(
  run: AnyRunStatus,
  signer: ChainSigner | null,
  mode?: HeaderBody['mode'],
): { kind: RecordKind; body: unknown }[] {
  const header: HeaderBody = {
    format: chainFormat,
    workflowId: run.workflowId,
    runId: run.runId,
    signer,
    ...(mode ? { mode } : {}),
    request: run.request,
    settings: run.settings,
    plan: run.plan,
    followUpPlan: run.followUpPlan,
    restores: run.restores,
  };
  const end: EndBody = {
    stage: run.stage,
    endState: run.endState,
    endReason: run.endReason,
    openGate: run.openGate,
    openTask: run.openTask,
    openStop: run.openStop,
    refusedVotes: run.refusedVotes,
    refusedVoteCount: run.refusedVoteCount,
    deletionWatch: run.deletionWatch,
    replacement: run.replacement,
  };
  return [
    { kind: 'header', body: header },
    ...run.steps.map((body) => ({ kind: 'step' as const, body })),
    ...run.gates.map((body) => ({ kind: 'gate' as const, body })),
    ...run.tasks.map((body) => ({ kind: 'task' as const, body })),
    ...(run.stops ?? []).map((body) => ({ kind: 'stop' as const, body })),
    ...(run.accessSnapshot ? [{ kind: 'snapshot' as const, body: run.accessSnapshot }] : []),
    ...(run.cacheWait ? [{ kind: 'cache-wait' as const, body: run.cacheWait }] : []),
    ...(run.usage ? [{ kind: 'usage' as const, body: run.usage }] : []),
    ...(run.rotation ? [{ kind: 'rotation' as const, body: run.rotation }] : []),
    { kind: 'end', body: end },
  ];
}

/** The status a chain records (the inverse of `chainEntries`): what `evidence.json` must equal. */
export function statusFromChain(chain: EvidenceChain): AnyRunStatus {
  const of = (kind: RecordKind) => chain.records.filter((r) => r.kind === kind).map((r) => r.body);
  const header = of('header')[0] as HeaderBody;
  const end = of('end')[0] as EndBody;
  const stops = of('stop') as NonNullable<AnyRunStatus['stops']>;
  return {
    workflowId: header.workflowId,
    runId: header.runId,
    request: header.request,
    stage: end.stage,
    settings: header.settings,
    plan: header.plan,
    followUpPlan: header.followUpPlan,
    steps: of('step') as AnyRunStatus['steps'],
    gates: of('gate') as AnyRunStatus['gates'],
    openGate: end.openGate,
    tasks: of('task') as AnyRunStatus['tasks'],
    openTask: end.openTask,
    ...(stops.length ? { stops } : {}),
    openStop: end.openStop,
    refusedVotes: end.refusedVotes,
    refusedVoteCount: end.refusedVoteCount,
    ...(of('snapshot').length ? { accessSnapshot: of('snapshot')[0] as AnyRunStatus['accessSnapshot'] } : {}),
    cacheWait: of('cache-wait')[0] as AnyRunStatus['cacheWait'],
    usage: of('usage')[0] as AnyRunStatus['usage'],
    endState: end.endState,
    endReason: end.endReason,
    restores: header.restores,
    rotation: of('rotation')[0] as AnyRunStatus['rotation'],
    deletionWatch: end.deletionWatch,
    replacement: end.replacement,
  };
}

/** What a record's hash covers (to be put in canonical JSON by the caller, which owns the hashing). */
export function hashedPart(r: Pick<ChainRecord, 'seq' | 'kind' | 'body' | 'prevHash'>) {
  return { seq: r.seq, kind: r.kind, body: r.body, prevHash: r.prevHash };
}

/** What the signature covers: the chain's identity and its head (which, through the links, covers all). */
export function signedStatement(chain: Pick<EvidenceChain, 'workflowId' | 'runId'>, head: ChainRecord) {
  return {
    format: chainFormat,
    workflowId: chain.workflowId,
    runId: chain.runId,
    headSeq: head.seq,
    headHash: head.hash,
  };
}

/** One line naming a record, the way every verdict names the one that failed. */
export function recordName(r: { seq: number; kind: string }): string {
  return `record ${r.seq} (${r.kind})`;
}
