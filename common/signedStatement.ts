// A person's signed act on a run: an Ed25519 signature over a canonical JSON statement that names the run,
// the gate (or task, or `start`), the plan hash, the decision, the signer and when the statement expires.
// Binding all of them means a signature cannot be replayed on another run, gate or plan, nor after it
// expires. Pure JavaScript (@noble/curves), so the workflow's update validator and the worker's activities
// verify with the same code, and the CLI signs what they verify.
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/curves/abstract/utils';
import { z } from 'zod';
import { canonicalJson } from './canonicalJson';

export interface Statement {
  workflowId: string;
  /** Empty for a start: the run does not exist yet. */
  runId: string;
  /** The gate id (`revoke-1`), the task id (`chatgpt-verify-3`), or `start`. */
  gateId: string;
  /** The plan hash the act is bound to (for a start: the hash of the request). */
  planHash: string;
  /** approve, reject, an attested outcome, or start. */
  decision: string;
  signer: string;
  /** ISO 8601; the statement is refused from this instant on. */
  expiresAt: string;
}

/** What travels with a vote, an attestation or a start besides the act itself. */
export const signatureSchema = z
  .object({
    expiresAt: z.iso.datetime({ message: 'must be an ISO 8601 time such as 2026-11-29T10:15:00Z' }),
    /** 128 hex characters: the Ed25519 signature of the statement. */
    value: z.string().regex(/^[0-9a-f]{128}$/, 'must be an Ed25519 signature (128 hex characters)'),
  })
  .strict();
export type Signature = z.infer<typeof signatureSchema>;

/** How a public key is written in the worker's configuration and printed by `ekm keys init`. */
export const publicKeyPattern = /^ed25519:[0-9a-f]{64}$/;

/** The bytes that are signed: the statement's canonical JSON (keys sorted), UTF-8. */
export function statementBytes(statement: Statement): Uint8Array {
  return new TextEncoder().encode(canonicalJson(statement));
}

export function publicKeyOf(privateKey: Uint8Array): string {
  return `ed25519:${bytesToHex(ed25519.getPublicKey(privateKey))}`;
}

export function signStatement(statement: Statement, privateKey: Uint8Array): string {
  return bytesToHex(ed25519.sign(statementBytes(statement), privateKey));
}

/** True when one of `publicKeys` made `signature` over `statement`. Malformed keys never verify. */
export function statementVerifies(statement: Statement, signature: string, publicKeys: string[]): boolean {
  const message = statementBytes(statement);
  return publicKeys.some((key) => {
    if (!publicKeyPattern.test(key) || !/^[0-9a-f]{128}$/.test(signature)) return false;
    try {
      return ed25519.verify(hexToBytes(signature), message, hexToBytes(key.slice('ed25519:'.length)));
    } catch {
      return false;
    }
  });
}

/**
 * The longest a signed statement may stay valid, counted from when it is checked. A signature is a bearer
 * proof until it expires: one made valid for weeks could be taken from a leaked history or evidence copy and
 * presented long after the person meant it. The CLI signs for 15 minutes by default and at most this long.
 */
export const maxSignatureValidityMs = 24 * 3_600_000;
export const maxSignatureValidityText = '24 h';

/** The people's keys a worker holds, and whether it takes unsigned acts (only a sandbox worker does). */
export interface SignerPolicy {
  /** Person (as the approval policy names them, lower case) → their public keys (`ed25519:<hex>`). */
  keys: Record<string, string[]>;
  unsignedAccepted: boolean;
}

/**
 * Why a signed (or unsigned) act is refused, or undefined when it stands. `statement` is rebuilt by the
 * verifier from what it knows (its own run, the open gate), never taken from the sender, so a signature
 * made for anything else fails.
 */
export function refuseSignature(
  statement: Statement,
  signature: Signature | undefined,
  policy: SignerPolicy,
  nowMs: number,
  /** The bound on validity; runs started before the bound existed check without one (startSignature.ts). */
  maxValidityMs = maxSignatureValidityMs,
): string | undefined {
  const who = statement.signer;
  if (!signature)
    return policy.unsignedAccepted
      ? undefined
      : `the ${statement.decision} by ${who} is not signed: this worker takes signed acts only (sign with \`--signing-key FILE\`; \`ekm keys init\` makes a key)`;
  if (nowMs >= Date.parse(signature.expiresAt))
    return `the signed statement by ${who} expired at ${signature.expiresAt}: sign it again`;
  if (Date.parse(signature.expiresAt) - nowMs > maxValidityMs)
    return `the signed statement by ${who} is valid for more than ${maxValidityMs === maxSignatureValidityMs ? maxSignatureValidityText : `${maxValidityMs / 1000} s`} (until ${signature.expiresAt}): sign it again valid for ${maxSignatureValidityText} at most (\`--valid-for\`, default 15m)`;
  const keys = policy.keys[who.trim().toLowerCase()] ?? [];
  if (!keys.length)
    return `${who} has no public key in the worker's configuration (approvals.signers): add the one \`ekm keys init\` printed`;
  if (!statementVerifies(statement, signature.value, keys))
    return `the signature is not ${who}'s for this statement (workflow ${statement.workflowId}, run ${statement.runId || '(start)'}, ${statement.gateId}, plan ${statement.planHash.slice(0, 12)}…, ${statement.decision}): signed with another key, or for another run, gate or plan`;
  return undefined;
}

/** The run an act is made on, as the verifier knows it. */
export interface RunRef {
  workflowId: string;
  runId: string;
}

/** What an approver signs to vote on a gate. */
export function voteStatement(
  run: RunRef,
  vote: { gateId: string; planHash: string; decision: string; approver: string; signature?: Signature },
  expiresAt = vote.signature?.expiresAt ?? '',
): Statement {
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    gateId: vote.gateId,
    planHash: vote.planHash,
    decision: vote.decision,
    signer: vote.approver.trim().toLowerCase(),
    expiresAt,
  };
}

/** What a person signs to answer a human task: bound to the task and to the run's plan. */
export function attestationStatement(
  run: RunRef,
  planHash: string,
  attestation: { taskId: string; outcome: string; by: string; signature?: Signature },
  expiresAt = attestation.signature?.expiresAt ?? '',
): Statement {
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    gateId: attestation.taskId,
    planHash,
    decision: attestation.outcome,
    signer: attestation.by.trim().toLowerCase(),
    expiresAt,
  };
}
