// Which actions each runbook's plan approves: the revoke gate, the archive gate (archive and the
// replacement), the deletion gate, the restore gate and the rotate gate. The plan activities and the
// workflow build the lists here; the gated activities build their own action with the same constructors
// (activities/approvedActions.ts), so both spell an action alike. Pure.
import type { PlanAction, RotationAction } from './planActions';
import { snapshotId } from './planActions';
import type { RevokeKeyRequest } from '../providers/requests';
import type { AnyRotateKeyRequest } from '../providers/rotateRequests';
import { periodSecondsOf } from '../providers/gcp/rotateRequest';

/** The revoke itself, by the request's method, on its key and OpenAI's role or principal. */
export function revocationActions(request: RevokeKeyRequest): PlanAction[] {
  if (request.provider === 'gcp')
    return [
      {
        do: 'revoke-access',
        cloud: 'gcp',
        method: request.method,
        keyName: request.keyName,
        principal: request.principal,
      },
    ];
  return [
    {
      do: 'revoke-access',
      cloud: 'aws',
      method: request.method,
      keyArn: request.keyArn,
      roleArn: request.roleArn,
    },
  ];
}

/**
 * The irreversible part the archive gate approves: every project of the request archived (once its external
 * key validates as revoked) and, when asked, the replacement — made by this run (`owner`, its runTag) in
 * place of the old key and of each archived project (`replaced`: the projects the replacement step renews).
 */
export function followUpActions(
  request: RevokeKeyRequest,
  owner: string,
  replaced: string[],
  /** OpenAI as the replacement's access names it: the sts:ExternalId (AWS); unused on Google Cloud. */
  externalId: string | undefined,
): PlanAction[] {
  const actions: PlanAction[] = [];
  if (request.product === 'api' && request.externalKeyId)
    for (const projectId of request.projectIds)
      actions.push({ do: 'archive-project', projectId, externalKeyId: request.externalKeyId });
  if (!request.replace) return actions;
  const cloud = request.provider;
  const replaces = request.provider === 'gcp' ? request.keyName : request.keyArn;
  actions.push({ do: 'create-replacement-key', cloud, replaces, owner });
  if (request.product !== 'api') return actions; // ChatGPT Enterprise: support takes the key from here
  const to = request.provider === 'gcp' ? request.principal : externalId;
  if (to) actions.push({ do: 'grant-openai-access', cloud, owner, to });
  actions.push({ do: 'register-external-key', cloud, owner });
  for (const old of replaced) actions.push({ do: 'create-project', replaces: old, owner });
  return actions;
}

/** The old key's end: AWS deletes after the days asked; Cloud KMS destroys after the key's own duration. */
export function deletionActions(request: RevokeKeyRequest): PlanAction[] {
  if (request.provider === 'gcp')
    return [{ do: 'schedule-key-deletion', cloud: 'gcp', keyName: request.keyName }];
  if (!request.deleteAfterDays) return [];
  return [
    { do: 'schedule-key-deletion', cloud: 'aws', keyArn: request.keyArn, days: request.deleteAfterDays },
  ];
}

/** The restore puts back exactly the snapshot named by its hash, on the key that snapshot is of. */
export function restoreAction(
  cloud: 'aws' | 'gcp',
  method: string,
  snapshot: { keyName?: string; key?: { arn: string } },
): PlanAction {
  const key = cloud === 'gcp' ? (snapshot.keyName ?? '') : (snapshot.key?.arn ?? '');
  return { do: 'restore-access', cloud, method, key, snapshot: snapshotId(snapshot) };
}

/** The rotation the request asks for, in the spelling the cloud's rotate activity is called with. */
export function rotationActions(request: AnyRotateKeyRequest): PlanAction[] {
  const r = request.rotation;
  if (request.provider === 'gcp') {
    const rotation: RotationAction =
      r.kind === 'now'
        ? { kind: 'now' }
        : { kind: 'automatic', periodSeconds: periodSecondsOf(r.periodDays!) };
    return [{ do: 'rotate-key', cloud: 'gcp', keyName: request.keyName, rotation }];
  }
  const rotation: RotationAction =
    r.kind === 'now' ? { kind: 'now' } : { kind: 'automatic', periodDays: r.periodDays! };
  return [{ do: 'rotate-key', cloud: 'aws', keyArn: request.keyArn, rotation }];
}
