// The actions on an AWS key a gate may approve (common/planActions.ts), how the runbook builds them from a
// request, and how they read: the key by its ARN, OpenAI by the role it assumes.
import type { RotationAction } from '../../common/planActions';
import { rotationWords } from '../../common/planActions';
import type { AwsRevokeKeyRequest } from './request';
import type { AwsRotateKeyRequest } from './rotateRequest';

export type AwsKeyAction =
  | { do: 'revoke-access'; cloud: 'aws'; method: string; keyArn: string; roleArn: string }
  | { do: 'schedule-key-deletion'; cloud: 'aws'; keyArn: string; days: number }
  | { do: 'rotate-key'; cloud: 'aws'; keyArn: string; rotation: RotationAction };

/** The revoke itself, by the request's method, on its key and OpenAI's role. */
export function awsRevocationAction(request: AwsRevokeKeyRequest): AwsKeyAction {
  return {
    do: 'revoke-access',
    cloud: 'aws',
    method: request.method,
    keyArn: request.keyArn,
    roleArn: request.roleArn,
  };
}

/** AWS deletes the old key after the days asked; none asked, no deletion. */
export function awsDeletionActions(request: AwsRevokeKeyRequest): AwsKeyAction[] {
  if (!request.deleteAfterDays) return [];
  return [
    { do: 'schedule-key-deletion', cloud: 'aws', keyArn: request.keyArn, days: request.deleteAfterDays },
  ];
}

/** The rotation in the spelling rotateAwsKey is called with (the period in days). */
export function awsRotationAction(request: AwsRotateKeyRequest): AwsKeyAction {
  const r = request.rotation;
  const rotation: RotationAction =
    r.kind === 'now' ? { kind: 'now' } : { kind: 'automatic', periodDays: r.periodDays! };
  return { do: 'rotate-key', cloud: 'aws', keyArn: request.keyArn, rotation };
}

export function describeAwsKeyAction(a: AwsKeyAction): string {
  switch (a.do) {
    case 'revoke-access':
      return `revoke access (${a.method}) to ${a.keyArn} through ${a.roleArn}`;
    case 'schedule-key-deletion':
      return `schedule deletion of ${a.keyArn} in ${a.days} days`;
    case 'rotate-key':
      return `rotate ${a.keyArn} ${rotationWords(a.rotation)}`;
  }
}
