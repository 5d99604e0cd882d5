// The failure types ekm activities and workflows raise (ApplicationFailure `type`). Retry policies name
// the final ones through `finalErrorTypes`, so a retry never repeats what cannot succeed.
export const EkmError = {
  /** Bad input: the message names the field and the fix. */
  InvalidInput: 'InvalidInput',
  /** The key does not exist (or this worker's credentials cannot see it). */
  KeyNotFound: 'KeyNotFound',
  /** The cloud refused the worker's own credentials: a configuration problem, not a transient one. */
  CloudAccessDenied: 'CloudAccessDenied',
  /** The worker's own configuration is missing or wrong (e.g. no OpenAI admin key in its environment). */
  WorkerMisconfigured: 'WorkerMisconfigured',
  /** OpenAI answered 429 or 5xx: retried (after Retry-After), never read as a verdict. */
  OpenAiUnavailable: 'OpenAiUnavailable',
  /**
   * A cloud throttled the call (AWS ThrottlingException, Google RESOURCE_EXHAUSTED): retried with backoff,
   * never final and never read as "unreadable" — the quota frees up within seconds (docs/quotas.md).
   */
  Throttled: 'Throttled',
  /** OpenAI refused the request itself (a 4xx other than 429): the message says what to fix. */
  OpenAiRefused: 'OpenAiRefused',
  /** The chosen method cannot be applied to this key and role as they are (the message says why). */
  MethodNotApplicable: 'MethodNotApplicable',
  /** Preflight found the world inconsistent with the request (e.g. a project bound to the key is missing). */
  PreflightFailed: 'PreflightFailed',
  /** A one-attempt create failed and its reconcile found nothing it made: a person decides. */
  CreateUnconfirmed: 'CreateUnconfirmed',
  /** A one-attempt create failed without telling whether it happened: the reconcile finds out. */
  CreateOutcomeUnknown: 'CreateOutcomeUnknown',
  /** A cloud accepted a change and then reported something else: a person looks. */
  CloudStateUnexpected: 'CloudStateUnexpected',
  /** After a rotation OpenAI could no longer use the key: a rotation must never revoke. */
  RotationBrokeAccess: 'RotationBrokeAccess',
  /**
   * A resource of the name a run gives already exists and nothing proves the run made it (planted, or
   * another run's): never adopted, the run stops for a person (`ekm resolve`). Details: the candidates.
   */
  NameTaken: 'NameTaken',
  /** A change was handed approvals that do not verify against the worker's own policy and keys. */
  ApprovalNotVerified: 'ApprovalNotVerified',
  /**
   * An evidence activity was called by a run that may not write there: a workflow type that records no
   * evidence, or a status or snapshot naming another run than the activity's own.
   */
  EvidenceNotOwnRun: 'EvidenceNotOwnRun',
  /**
   * What a restore would apply does not verify: the revocation's chain is unsigned, signed by another key,
   * broken or another run's, or the kept snapshot's hash is not the one the chain records.
   */
  EvidenceUnverified: 'EvidenceUnverified',
  /** An automatic change (the watchdog's cancel) asked for by a run it is not bound to, or not enabled. */
  AutomaticActionRefused: 'AutomaticActionRefused',
  /** A lock workflow not started by the run it serves: it ends at once, holding nothing. */
  LockRefused: 'LockRefused',
} as const;

export type EkmErrorType = (typeof EkmError)[keyof typeof EkmError];

/** Errors no retry can fix. */
export const finalErrorTypes: EkmErrorType[] = [
  EkmError.InvalidInput,
  EkmError.KeyNotFound,
  EkmError.CloudAccessDenied,
  EkmError.WorkerMisconfigured,
  EkmError.OpenAiRefused,
  EkmError.MethodNotApplicable,
  EkmError.PreflightFailed,
  EkmError.CreateUnconfirmed,
  EkmError.CreateOutcomeUnknown,
  EkmError.CloudStateUnexpected,
  EkmError.RotationBrokeAccess,
  EkmError.ApprovalNotVerified,
  EkmError.NameTaken,
  EkmError.EvidenceNotOwnRun,
  EkmError.EvidenceUnverified,
  EkmError.AutomaticActionRefused,
];
