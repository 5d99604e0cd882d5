// What every run on a key shares, on every cloud (common/runSubject.ts): the key and who OpenAI is at it,
// each in its cloud's spelling (the cloud's spec reads them).
import type { AwsRunSubject } from './aws/runSubject';
import type { GcpRunSubject } from './gcp/runSubject';
import { specOf } from '.';

export type RunSubject = AwsRunSubject | GcpRunSubject;

/** The key a request, run or report names, in its cloud's spelling (a key ARN, a Cloud KMS key name). */
export function keyOf(r: { provider: 'aws'; keyArn: string } | { provider: 'gcp'; keyName: string }): string {
  return specOf(r).keyOf(r);
}

/** Who OpenAI is at the key: the role it assumes (AWS), its IAM principal (Google Cloud). */
export function principalOf(
  r: { provider: 'aws'; roleArn: string } | { provider: 'gcp'; principal: string },
): string {
  return specOf(r).principalOf(r);
}

/** Who OpenAI is at the key, with its kind: "role arn:aws:iam::…" / "principal principal://…". */
export function subjectPrincipal(r: RunSubject): string {
  return `${specOf(r).principalKind} ${principalOf(r)}`;
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
