// What the rest of the project knows about a cloud, in one place per cloud (providers/<cloud>/spec.ts): its
// names, how its requests name the key and OpenAI, its revocation methods, which of its activities change
// things. Workflow-safe (the workflow bundle imports it): data and pure functions only, no Node built-in,
// no client. Code outside providers/ asks the spec instead of testing which cloud a request is for.
import type { TrailRetention } from '../common/watchdog';

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
  /** How far back that trail can be read: a one-pass deletion check looks back no further. */
  trailRetention: TrailRetention;
  /** What OpenAI reaches the key through, in one word: "role" (AWS), "principal" (Google Cloud). */
  principalKind: string;
  /** The request field naming the key ("keyArn", "keyName"), for error messages that name a field. */
  keyField: string;
  /** The ways to revoke OpenAI's access, narrowest first. */
  revocationMethods: readonly string[];
  /**
   * The activities of this cloud that change the cloud: runs send them to the mutating worker's queue,
   * whose credentials may change keys (policies/). Every other activity of the cloud only reads.
   */
  mutatingActivities: readonly string[];
  /** The runbook's step titles in this cloud's words (the AWS wording is the runbook's own). */
  stepTitle(title: string): string;
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
