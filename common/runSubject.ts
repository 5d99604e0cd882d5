// What every run on a key shares, whatever it does to it (revoke, restore, rotate): the key, who OpenAI is
// at the key (the role it assumes on AWS, its IAM principal on Google Cloud), who asked and why. The run
// record, the CLI and the evidence speak of a run through this.
import type { Rotation } from './rotationRequest';

interface RunSubjectCommon {
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

export interface AwsRunSubject extends RunSubjectCommon {
  provider: 'aws';
  keyArn: string;
  roleArn: string;
}

export interface GcpRunSubject extends RunSubjectCommon {
  provider: 'gcp';
  /** projects/…/locations/…/keyRings/…/cryptoKeys/… */
  keyName: string;
  /** OpenAI's IAM principal, as the key's binding names it. */
  principal: string;
}

export type RunSubject = AwsRunSubject | GcpRunSubject;

/** The key a request, run or report names, in its cloud's spelling (a key ARN, a Cloud KMS key name). */
export function keyOf(r: { provider: 'aws'; keyArn: string } | { provider: 'gcp'; keyName: string }): string {
  return r.provider === 'gcp' ? r.keyName : r.keyArn;
}

/** Who OpenAI is at the key: the role it assumes (AWS), its IAM principal (Google Cloud). */
export function principalOf(
  r: { provider: 'aws'; roleArn: string } | { provider: 'gcp'; principal: string },
): string {
  return r.provider === 'gcp' ? r.principal : r.roleArn;
}

/** Who OpenAI is at the key, with its kind: "role arn:aws:iam::…" / "principal principal://…". */
export function subjectPrincipal(r: RunSubject): string {
  return `${r.provider === 'gcp' ? 'principal' : 'role'} ${principalOf(r)}`;
}

/** "key-policy-deny on arn:…" / "rotate now on arn:…" / "remove-binding on projects/…". */
export function runHeadline(r: RunSubject): string {
  const what =
    r.method ??
    r.check ??
    (r.rotation?.kind === 'automatic'
      ? `automatic rotation every ${r.rotation.periodDays} days`
      : 'rotate now');
  return `${what} on ${keyOf(r)}`;
}
