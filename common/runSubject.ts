// What every run on a key shares, whatever it does to it (revoke, restore, rotate): the key, who OpenAI is
// at the key (the role it assumes on AWS, its IAM principal on Google Cloud), who asked and why. The run
// record, the CLI and the evidence speak of a run through this; each cloud adds how it names the key and
// OpenAI (providers/<cloud>/runSubject.ts).
import type { Rotation } from './rotationRequest';

export interface RunSubjectCommon {
  requester: string;
  reason: string;
  changeTicket: string;
  projectIds: string[];
  /** A revocation's method. */
  method?: string;
  /** A rotation's kind. */
  rotation?: Rotation;
  /** A read-only check ("usage check"). */
  check?: string;
  product?: string;
  urgency?: string;
}
