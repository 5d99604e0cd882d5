// What the rest of the project knows about a cloud, in one place per cloud (providers/<cloud>/spec.ts): its
// names, how its requests name the key and OpenAI, its revocation methods, which of its activities change
// things. Workflow-safe (the workflow bundle imports it): data and pure functions only, no Node built-in,
// no client. Code outside providers/ asks the spec instead of testing which cloud a request is for.
import type { TrailRetention } from '../common/watchdog';
import type { DocumentDiff } from '../common/runStatus';
import type { KeyAction } from '../common/planActions';
import type { AccessSnapshot, RevocationBaseline, RevokeKeyRequest } from './requests';
import type { RotateKeyRequest, KeyRotationState } from './rotateRequests';
import type { PlanAction } from './planActions';
import type { RevocationPlanWords, RotationPlanWords } from './planWords';

/** The clouds OpenAI EKM supports that this project serves (providers/index.ts lists their specs). */
export type ProviderId = 'aws' | 'gcp';

export interface ProviderSpec {
  id: ProviderId;
  /** The cloud in prose: "AWS", "Google Cloud". */
  name: string;
  /** Its key service: "AWS KMS", "Cloud KMS". */
  kmsName: string;
  /** The audit trail a key's use is read from: "CloudTrail", "Cloud Logging". */
  trailName: string;
  /** The trail as the usage check names it: "CloudTrail", "Cloud Logging (Data Access)". */
  trailLog: string;
  /** How far back that trail can be read: a one-pass deletion check looks back no further. */
  trailRetention: TrailRetention;
  /** What OpenAI reaches the key through, in one word: "role" (AWS), "principal" (Google Cloud). */
  principalKind: string;
  /** The request field naming the key ("keyArn", "keyName"), for error messages that name a field. */
  keyField: string;
  /** The request field naming OpenAI at the key ("roleArn", "principal"). */
  principalField: string;
  /** The ways to revoke OpenAI's access, narrowest first. */
  revocationMethods: readonly string[];
  /**
   * The activities of this cloud that change the cloud: runs send them to the mutating worker's queue,
   * whose credentials may change keys (policies/). Every other activity of the cloud only reads.
   */
  mutatingActivities: readonly string[];
  /** The runbook's step titles in this cloud's words (the AWS wording is the runbook's own). */
  stepTitle(title: string): string;

  // A request, run, report, watch or snapshot handed to these is this cloud's: the registry only hands a
  // cloud's own (specOf). Each cloud's members take its own shapes.
  /** The key it names, in this cloud's spelling: a key ARN, a Cloud KMS key name. */
  keyOf(subject: OnProvider): string;
  /** Who OpenAI is at the key, in this cloud's spelling: the role ARN it assumes, its IAM principal. */
  principalOf(subject: OnProvider): string;
  /** The evidence record's audit-trail heading: whose trail, whose calls. */
  trailEvidenceHeading: string;
  /** What a project's external key must use to be affected, as preflight says it: "this key or role". */
  keyAndPrincipal: string;
  /** Preflight's findings about this cloud's key and OpenAI's access to it (OpenAI's own are shared). */
  keyFindings(request: RevokeKeyRequest, baseline: RevocationBaseline): string[];
  /** What restoring a revocation by `method` puts back, document by document, now against the snapshot. */
  restoreDiff(method: string, now: AccessSnapshot, snapshot: AccessSnapshot): DocumentDiff[];
  /**
   * The revocation's plan for this cloud's key, in its words (activities/planRevocation.ts adds the shared
   * steps and the hash); refuses, before anyone approves, a plan that cannot work.
   */
  planRevocation(request: RevokeKeyRequest, baseline: RevocationBaseline): RevocationPlanWords;
  /** The rotation's change on this cloud's key, in its words (activities/planRotation.ts hashes the plan). */
  planRotation(request: RotateKeyRequest, before: KeyRotationState): RotationPlanWords;
  /** The key an access snapshot is of (what a restore action names). */
  snapshotKey(snapshot: { keyName?: string; key?: { arn: string } }): string;
  /** The revoke the revoke gate approves. */
  revocationAction(request: RevokeKeyRequest): PlanAction;
  /** The old key's end the deletion gate approves (none: nothing to approve). */
  deletionActions(request: RevokeKeyRequest): PlanAction[];
  /** OpenAI as the replacement's access names it: the sts:ExternalId of its role, its principal. */
  replacementGrantee(request: RevokeKeyRequest, externalId: string | undefined): string | undefined;
  /** The rotation the rotate gate approves, in the spelling the cloud's rotate activity is called with. */
  rotationAction(request: RotateKeyRequest): PlanAction;
  /** One line for people: what an action on this cloud's key does. */
  describeKeyAction(action: KeyAction): string;
}

/** A request, run or report on a key of some cloud: the field that says which is `provider`. */
export interface OnProvider {
  provider: ProviderId;
}

/**
 * A request of any cloud, narrowed to this cloud's. A cloud's code is reached through its spec only, so a
 * request of another cloud arriving here is a bug in the registry's lookup, never user input.
 */
export function ownRequest<T extends OnProvider, Id extends ProviderId>(
  id: Id,
  subject: T,
): Extract<T, { provider: Id }> {
  if (subject.provider !== id)
    throw new Error(`a ${subject.provider} request reached the ${id} provider's code`);
  return subject as Extract<T, { provider: Id }>;
}
