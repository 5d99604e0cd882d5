// What every run on a key shares, whatever it does to it (revoke, restore, rotate): the key, the role,
// who asked and why. The run record, the CLI and the evidence speak of a run through this.
import type { Rotation } from './rotate';

export interface RunSubject {
  provider: 'aws';
  keyArn: string;
  roleArn: string;
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

/** "key-policy-deny on arn:…" / "rotate now on arn:…". */
export function runHeadline(r: RunSubject): string {
  const what =
    r.method ??
    r.check ??
    (r.rotation?.kind === 'automatic'
      ? `automatic rotation every ${r.rotation.periodDays} days`
      : 'rotate now');
  return `${what} on ${r.keyArn}`;
}
