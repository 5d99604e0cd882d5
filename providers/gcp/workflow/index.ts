// What the runbooks ask of Google Cloud (providers/operations.ts), step by step.
import { call } from '../../../workflows/revoke/call';
import type { CloudOperations } from '../../operations';
import { ownRequest } from '../../provider';
import type { GcpAccessSnapshot, GcpRevocationBaseline } from '../request';
import {
  gcpRestoreDetails,
  gcpSnapshotMismatch,
  restoreGcpAccess,
  revokeGcpAccess,
  snapshotGcpAccess,
} from './access';
import { gcpBaselineReads, readGcpBaseline } from './baseline';
import { gcpDeletionChange, gcpDeletionScheduled, scheduleGcpKeyDestruction } from './deletion';
import { provisionGcpReplacement } from './replacement';
import { provisionGcpReplacementBeforeProof } from './replacementBeforeProof';
import { describeGcpKeyForRotation, readGcpRotation, rotateGcpKeyOnce } from './rotation';
import { gcpTrailLooksOff, readGcpUsage } from './trail';
import { cancelGcpEnd, readGcpEnd } from './watch';

export const gcpOperations: CloudOperations = {
  // Google Cloud's methods edit only the key's own IAM policy and versions (remove-binding refuses when the
  // ring grants too; it never edits the ring), which the key's workflow id already locks.
  sharedResource: () => undefined,
  sharedChange: () => undefined,
  readCloudBaseline: (request) => readGcpBaseline(ownRequest('gcp', request)),
  baselineReads: (request) => gcpBaselineReads(ownRequest('gcp', request)),
  snapshotAccess: snapshotGcpAccess,
  revokeAccess: revokeGcpAccess,
  deletionChange: gcpDeletionChange,
  scheduleKeyDeletion: scheduleGcpKeyDestruction,
  deletionScheduled: gcpDeletionScheduled,
  provisionReplacement: (request, baseline, gates, before) =>
    provisionGcpReplacement(
      ownRequest('gcp', request),
      baseline as GcpRevocationBaseline,
      gates,
      before as GcpAccessSnapshot,
    ),
  provisionReplacementBeforeProof: (request, baseline, approval, before) =>
    provisionGcpReplacementBeforeProof(
      ownRequest('gcp', request),
      baseline as GcpRevocationBaseline,
      approval,
      before as GcpAccessSnapshot,
    ),
  readUsage: readGcpUsage,
  trailLooksOff: gcpTrailLooksOff,
  snapshotMismatch: gcpSnapshotMismatch,
  restoreDetails: gcpRestoreDetails,
  restoreAccess: restoreGcpAccess,
  describeForRotation: describeGcpKeyForRotation,
  readRotation: readGcpRotation,
  rotateOnce: rotateGcpKeyOnce,
  manualCancel: 'restore its versions with Cloud KMS RestoreCryptoKeyVersion',
  stillPending: 'versions still read DESTROY_SCHEDULED (Cloud KMS destroys them shortly after)',
  readEnd: readGcpEnd,
  cancelEnd: cancelGcpEnd,
  describeKey: (keyName, summary) => call('read', 'describeGcpKey', summary, { keyName }),
};
