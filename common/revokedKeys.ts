// Revoked approver keys: a person's public key the worker's configuration declares revoked from a time
// (a lost laptop, a leaver, a suspected compromise). An act signed with it is refused from that time on —
// by the workflow's validator (when the act arrives), by the activity that makes the change (when it acts)
// and by `ekm evidence verify` (when the run recorded the act). The key stays listed under its person so
// acts made before the revocation still verify in old records. Pure: the workflow uses it too.
import { statementVerifies, type Statement } from './signedStatement';

export interface RevokedKey {
  /** The public key, as approvals.signers writes it (`ed25519:<hex>`). */
  key: string;
  /** ISO 8601: acts checked at or after this instant are refused. */
  from: string;
  /** Why, for the record and the refusal (e.g. "laptop stolen", "left the company"). */
  reason: string;
}

/** `ed25519:0123456789ab…`: enough of a key to tell it apart in a message. */
export function shortKey(key: string): string {
  return `${key.slice(0, 'ed25519:'.length + 12)}…`;
}

/** The revocation in force at `atMs` of the key that made `signature` over `statement`, if any. */
export function revokedKeyUsed(
  statement: Statement,
  signature: string,
  revoked: readonly RevokedKey[] | undefined,
  atMs: number,
): RevokedKey | undefined {
  return (revoked ?? []).find(
    (r) => atMs >= Date.parse(r.from) && statementVerifies(statement, signature, [r.key]),
  );
}

/** How a refusal names the revocation: the key, from when, and why. */
export function describeRevocation(r: RevokedKey): string {
  return `signed with ${shortKey(r.key)}, revoked from ${r.from} (${r.reason})`;
}

/**
 * Why an act is refused because its key is revoked at `atMs` (the time it is checked, or for a recorded
 * act the time it was recorded), or undefined. Call it beside `refuseSignature`, which checks the rest.
 */
export function refuseRevokedKey(
  statement: Statement,
  signature: { value: string } | undefined,
  revoked: readonly RevokedKey[] | undefined,
  atMs: number,
): string | undefined {
  const r = signature ? revokedKeyUsed(statement, signature.value, revoked, atMs) : undefined;
  if (!r) return undefined;
  return `the ${statement.decision} by ${statement.signer} is ${describeRevocation(r)}: sign with a key in force (\`ekm keys init\` makes a new one; add it to approvals.signers)`;
}
