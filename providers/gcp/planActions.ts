// The actions on a Cloud KMS key a gate may approve (common/planActions.ts), how the runbook builds them
// from a request, and how they read: the key by its resource name, OpenAI by its IAM principal.
import type { RotationAction } from '../../common/planActions';
import { rotationWords } from '../../common/planActions';
import type { GcpRevokeKeyRequest } from './request';
import { periodSecondsOf, type GcpRotateKeyRequest } from './rotateRequest';

export type GcpKeyAction =
  | { do: 'revoke-access'; cloud: 'gcp'; method: string; keyName: string; principal: string }
  | { do: 'schedule-key-deletion'; cloud: 'gcp'; keyName: string }
  | { do: 'rotate-key'; cloud: 'gcp'; keyName: string; rotation: RotationAction };

/** The revoke itself, by the request's method, on its key and OpenAI's principal. */
export function gcpRevocationAction(request: GcpRevokeKeyRequest): GcpKeyAction {
  return {
    do: 'revoke-access',
    cloud: 'gcp',
    method: request.method,
    keyName: request.keyName,
    principal: request.principal,
  };
}

/** Cloud KMS destroys every version after the key's own duration: no days to approve. */
export function gcpDeletionActions(request: GcpRevokeKeyRequest): GcpKeyAction[] {
  return [{ do: 'schedule-key-deletion', cloud: 'gcp', keyName: request.keyName }];
}

/** The rotation in the spelling rotateGcpKey is called with (the period in seconds). */
export function gcpRotationAction(request: GcpRotateKeyRequest): GcpKeyAction {
  const r = request.rotation;
  const rotation: RotationAction =
    r.kind === 'now' ? { kind: 'now' } : { kind: 'automatic', periodSeconds: periodSecondsOf(r.periodDays!) };
  return { do: 'rotate-key', cloud: 'gcp', keyName: request.keyName, rotation };
}

export function describeGcpKeyAction(a: GcpKeyAction): string {
  switch (a.do) {
    case 'revoke-access':
      return `revoke access (${a.method}) to ${a.keyName} for ${a.principal}`;
    case 'schedule-key-deletion':
      return `schedule destruction of every version of ${a.keyName}`;
    case 'rotate-key':
      return `rotate ${a.keyName} ${rotationWords(a.rotation)}`;
  }
}
