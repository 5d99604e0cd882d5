// What the runbooks ask of AWS (providers/operations.ts), step by step.
import { call } from '../../../workflows/revoke/call';
import type { CloudOperations } from '../../operations';
import { awsMethodsChangingTheRole, type AwsRevocationBaseline } from '../request';
import { ownRequest } from '../../provider';
import { awsSnapshotMismatch, restoreAwsAccess, revokeAwsAccess, snapshotAwsAccess } from './access';
import { awsBaselineReads, readAwsBaseline } from './baseline';
import { awsDeletionChange, awsDeletionScheduled, scheduleAwsKeyDeletion } from './deletion';
import { provisionAwsReplacement } from './replacement';
import { provisionAwsReplacementBeforeProof } from './replacementBeforeProof';
import { describeAwsKeyForRotation, readAwsRotation, rotateAwsKeyOnce } from './rotation';
import { readAwsUsage } from './trail';
import { cancelAwsEnd, readAwsEnd } from './watch';

export const awsOperations: CloudOperations = {
  // A role is shared by keys and a revocation or restore edits it (trust, inline policy, grants).
  sharedResource: (request) => ownRequest('aws', request).roleArn,
  // Only remove-trust and remove-key-permission edit the role; the other methods edit the key alone.
  sharedChange: (request) => {
    const { method, roleArn } = ownRequest('aws', request);
    return awsMethodsChangingTheRole.includes(method) ? roleArn : undefined;
  },
  readCloudBaseline: (request) => readAwsBaseline(ownRequest('aws', request)),
  baselineReads: (request) => awsBaselineReads(ownRequest('aws', request)),
  snapshotAccess: snapshotAwsAccess,
  revokeAccess: revokeAwsAccess,
  deletionChange: awsDeletionChange,
  scheduleKeyDeletion: scheduleAwsKeyDeletion,
  deletionScheduled: awsDeletionScheduled,
  provisionReplacement: (request, baseline, gates) =>
    provisionAwsReplacement(ownRequest('aws', request), baseline as AwsRevocationBaseline, gates),
  provisionReplacementBeforeProof: (request, baseline, approval) =>
    provisionAwsReplacementBeforeProof(
      ownRequest('aws', request),
      baseline as AwsRevocationBaseline,
      approval,
    ),
  readUsage: readAwsUsage,
  trailLooksOff: () => false,
  snapshotMismatch: awsSnapshotMismatch,
  restoreDetails: () => [],
  restoreAccess: restoreAwsAccess,
  describeForRotation: describeAwsKeyForRotation,
  readRotation: readAwsRotation,
  rotateOnce: rotateAwsKeyOnce,
  manualCancel: 'cancel it with KMS CancelKeyDeletion',
  stillPending: 'the key still reads PendingDeletion (KMS deletes it within hours)',
  readEnd: readAwsEnd,
  cancelEnd: cancelAwsEnd,
  describeKey: (key, summary) => call('read', 'describeKey', summary, key),
};
