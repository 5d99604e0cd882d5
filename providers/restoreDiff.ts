// What a restore will apply, as approvers see it at the restore gate (common/restoreDiff.ts): the cloud of
// the revocation builds its documents from the state read in preflight and the verified snapshot.
import type { DocumentDiff } from '../common/runStatus';
import type { AccessSnapshot, RevocationBaseline, RevokeKeyRequest } from './requests';
import { specOf } from '.';

/** The documents the restore changes, now and after; empty when it changes nothing. */
export function restoreDiff(
  request: RevokeKeyRequest,
  snapshot: AccessSnapshot,
  current: RevocationBaseline,
): DocumentDiff[] {
  return specOf(request).restoreDiff(request.method, current.access, snapshot);
}
