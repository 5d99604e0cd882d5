// Which actions each runbook's plan approves: the revoke gate, the archive gate (archive and the
// replacement), the deletion gate, the restore gate and the rotate gate. The plan activities and the
// workflow build the lists here; the gated activities build their own action with the same constructors
// (activities/approvedActions.ts), so both spell an action alike. Each cloud spells the actions on its key
// (its spec). Pure.
import { snapshotId } from '../common/planActions';
import type { PlanAction } from './planActions';
import type { RevokeKeyRequest } from './requests';
import type { RotateKeyRequest } from './rotateRequests';
import { providerSpecs, specOf } from '.';
import type { ProviderId } from './provider';

/** The revoke itself, by the request's method, on its key and OpenAI's role or principal. */
export function revocationActions(request: RevokeKeyRequest): PlanAction[] {
  return [specOf(request).revocationAction(request)];
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
  const spec = specOf(request);
  const replaces = spec.keyOf(request);
  actions.push({ do: 'create-replacement-key', cloud, replaces, owner });
  if (request.product !== 'api') return actions; // ChatGPT Enterprise: support takes the key from here
  const to = spec.replacementGrantee(request, externalId);
  if (to) actions.push({ do: 'grant-openai-access', cloud, owner, to });
  actions.push({ do: 'register-external-key', cloud, owner });
  for (const old of replaced) actions.push({ do: 'create-project', replaces: old, owner });
  return actions;
}

/** The old key's end: AWS deletes after the days asked; Cloud KMS destroys after the key's own duration. */
export function deletionActions(request: RevokeKeyRequest): PlanAction[] {
  return specOf(request).deletionActions(request);
}

/** The restore puts back exactly the snapshot named by its hash, on the key that snapshot is of. */
export function restoreAction(
  cloud: ProviderId,
  method: string,
  snapshot: { keyName?: string; key?: { arn: string } },
): PlanAction {
  const key = providerSpecs[cloud].snapshotKey(snapshot);
  return { do: 'restore-access', cloud, method, key, snapshot: snapshotId(snapshot) };
}

/** The rotation the request asks for, in the spelling the cloud's rotate activity is called with. */
export function rotationActions(request: RotateKeyRequest): PlanAction[] {
  return [specOf(request).rotationAction(request)];
}
