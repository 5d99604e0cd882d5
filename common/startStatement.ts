// What a requester signs to start a run: the statement names the workflow id the run will have, no run id
// (it does not exist yet), the gate `start`, and as its "plan" the sha256 of the request exactly as sent
// (canonical JSON, the signature left out) — so a signed start cannot be replayed with other input or
// under another id.
import { hashText } from './hashText';
import { canonicalJson } from './canonicalJson';
import type { Signature, Statement } from './signedStatement';

export function requestHash(input: object): string {
  const { signature: _signature, ...request } = input as { signature?: Signature };
  void _signature;
  return hashText(canonicalJson(request));
}

export function startStatement(
  workflowId: string,
  input: { requester: string; signature?: Signature },
  expiresAt = input.signature?.expiresAt ?? '',
): Statement {
  return {
    workflowId,
    runId: '',
    gateId: 'start',
    planHash: requestHash(input),
    decision: 'start',
    signer: input.requester.trim().toLowerCase(),
    expiresAt,
  };
}
