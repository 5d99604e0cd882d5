// Every activity the worker registers, built from the clients and settings of the worker's configuration.
// Workflows import the *type* of this object only.
import type { Client } from '@temporalio/client';
import type { WorkerConfig } from '../worker/config';
import type { AwsClients } from '../providers/aws/activities/clients';
import { describeAwsKey } from '../providers/aws/activities/describeKey';
import { cancelAwsKeyDeletion, scheduleAwsKeyDeletion } from '../providers/aws/activities/keyDeletion';
import { readAwsKeyUsage } from '../providers/aws/activities/keyUsage';
import { readAwsKeyRotation, rotateAwsKeyActivity } from '../providers/aws/activities/keyRotation';
import {
  createReplacementKeyOnce,
  findReplacementKey,
  grantOpenAiAccess,
} from '../providers/aws/activities/replacementKey';
import { restoreAwsAccessActivity } from '../providers/aws/activities/restoreAccess';
import { revokeAwsAccessActivity } from '../providers/aws/activities/revokeAccess';
import { snapshotAwsAccessActivity } from '../providers/aws/activities/snapshotAccess';
import { evidenceActivities } from './evidence/recordEvidence';
import type { EvidenceStore } from './evidence/store';
import { notifyActivity } from './notify';
import type { AdminApi } from './openai/adminApi';
import { archiveIfRevokedActivity } from './openai/archiveIfRevoked';
import { readBlastRadiusActivity } from './openai/blastRadius';
import type { DataApi } from './openai/dataApi';
import { probeProjectDataActivity } from './openai/probes';
import {
  createProjectOnce,
  findExternalKeyByName,
  findOwnExternalKey,
  findOwnProject,
  findProjectByName,
  registerExternalKeyOnce,
} from './openai/provision';
import type { Ownership } from './ownership';
import { readExternalKeyActivity, readProjectsActivity } from './openai/readProjects';
import { validateExternalKeyActivity } from './openai/validateExternalKey';
import { planFollowUp } from './planFollowUp';
import { planRevocation } from './planRevocation';
import { planRotation } from './planRotation';
import type { GcpClients } from '../providers/gcp/activities/clients';
import { describeGcpKeyActivity } from '../providers/gcp/activities/describeKey';
import {
  cancelGcpKeyDestructionActivity,
  scheduleGcpKeyDestructionActivity,
} from '../providers/gcp/activities/keyDestruction';
import { readGcpKeyRotationActivity, rotateGcpKeyActivity } from '../providers/gcp/activities/keyRotation';
import { readGcpKeyUsageActivity } from '../providers/gcp/activities/keyUsage';
import {
  createGcpReplacementKeyActivity,
  grantGcpOpenAiAccessActivity,
} from '../providers/gcp/activities/replacementKey';
import { restoreGcpAccessActivity } from '../providers/gcp/activities/restoreAccess';
import { revokeGcpAccessActivity } from '../providers/gcp/activities/revokeAccess';
import { snapshotGcpAccessActivity } from '../providers/gcp/activities/snapshotAccess';
import { whenConfigured } from '../providers/gcp/activities/whenConfigured';
import { actionOf } from './approvedActions';
import { requireApproval } from './requireApproval';
import { runSettingsActivity, watchdogSettingsActivity } from './runSettings';
import { lockHolderActivity } from './temporal/lockHolder';
import { sweepActivities } from './temporal/sweepEndedRuns';
import { boundToItsWatch } from './watchdogCancel';

export interface ActivityDeps {
  config: WorkerConfig;
  aws: AwsClients;
  /** Absent when the worker's configuration has no `gcp` section: the GCP activities then refuse. */
  gcp?: GcpClients;
  openai: { api: AdminApi; data: DataApi };
  evidence: EvidenceStore;
  /** Marks what the worker creates and recognises it again (activities/ownership.ts). */
  ownership: Ownership;
  /** Temporal itself, for the reads of other runs (a lock's holder, the sweep); absent in bare tests. */
  temporal?: Client;
}

export function createActivities(deps: ActivityDeps) {
  const { config, aws, gcp, openai, ownership } = deps;
  const vendor = { vendorPrincipals: config.aws.openAiPrincipals, ownership };
  const archive = archiveIfRevokedActivity(openai.api, config.openai.revokedMatchers);
  // Every change behind a gate verifies the gate's approvals itself before it acts, and finds its own
  // action (approvedActions.ts) among the ones approved (requireApproval).
  return {
    // the worker's settings and the plan
    loadRunSettings: runSettingsActivity(config),
    loadWatchdogSettings: watchdogSettingsActivity(config),
    planRevocation,
    planFollowUp,
    planRotation,
    // AWS KMS and IAM
    describeKey: describeAwsKey(aws.kms),
    snapshotAwsAccess: snapshotAwsAccessActivity(aws),
    revokeAwsAccess: requireApproval(
      'revoke',
      config,
      actionOf.revokeAwsAccess,
      revokeAwsAccessActivity(aws, vendor),
    ),
    restoreAwsAccess: requireApproval(
      'restore',
      config,
      actionOf.restoreAwsAccess,
      restoreAwsAccessActivity(aws),
    ),
    createReplacementKeyOnce: requireApproval(
      'archive',
      config,
      actionOf.createReplacementKeyOnce,
      createReplacementKeyOnce(aws, ownership),
    ),
    findReplacementKey: findReplacementKey(aws, ownership),
    grantOpenAiAccess: requireApproval(
      'archive',
      config,
      actionOf.grantOpenAiAccessOn(aws.kms),
      grantOpenAiAccess(aws, vendor),
    ),
    scheduleAwsKeyDeletion: requireApproval(
      'deletion',
      config,
      actionOf.scheduleAwsKeyDeletion,
      scheduleAwsKeyDeletion(aws),
    ),
    // The watchdog's automatic cancel: bound to the key's own watch, enabled by the configuration.
    cancelAwsKeyDeletion: boundToItsWatch(
      config,
      (i: { keyArn: string }) => i.keyArn,
      cancelAwsKeyDeletion(aws),
    ),
    readAwsKeyRotation: readAwsKeyRotation(aws),
    rotateAwsKey: requireApproval('rotate', config, actionOf.rotateAwsKey, rotateAwsKeyActivity(aws)),
    // AWS CloudTrail
    readAwsKeyUsage: readAwsKeyUsage(aws),
    // Google Cloud KMS, IAM and Cloud Logging
    describeGcpKey: whenConfigured(gcp, describeGcpKeyActivity),
    snapshotGcpAccess: whenConfigured(gcp, snapshotGcpAccessActivity),
    revokeGcpAccess: requireApproval(
      'revoke',
      config,
      actionOf.revokeGcpAccess,
      whenConfigured(gcp, revokeGcpAccessActivity),
    ),
    restoreGcpAccess: requireApproval(
      'restore',
      config,
      actionOf.restoreGcpAccess,
      whenConfigured(gcp, restoreGcpAccessActivity),
    ),
    readGcpKeyRotation: whenConfigured(gcp, readGcpKeyRotationActivity),
    rotateGcpKey: requireApproval(
      'rotate',
      config,
      actionOf.rotateGcpKey,
      whenConfigured(gcp, rotateGcpKeyActivity),
    ),
    createGcpReplacementKey: requireApproval(
      'archive',
      config,
      actionOf.createGcpReplacementKey,
      whenConfigured(gcp, (clients) => createGcpReplacementKeyActivity(clients, ownership)),
    ),
    grantGcpOpenAiAccess: requireApproval(
      'archive',
      config,
      actionOf.grantGcpOpenAiAccess,
      whenConfigured(gcp, grantGcpOpenAiAccessActivity),
    ),
    scheduleGcpKeyDestruction: requireApproval(
      'deletion',
      config,
      actionOf.scheduleGcpKeyDestruction,
      whenConfigured(gcp, scheduleGcpKeyDestructionActivity),
    ),
    cancelGcpKeyDestruction: boundToItsWatch(
      config,
      (i: { keyName: string }) => i.keyName,
      whenConfigured(gcp, cancelGcpKeyDestructionActivity),
    ),
    readGcpKeyUsage: whenConfigured(gcp, readGcpKeyUsageActivity),
    // OpenAI
    validateExternalKey: validateExternalKeyActivity(openai.api, config.openai.revokedMatchers),
    readExternalKey: readExternalKeyActivity(openai.api),
    readProjects: readProjectsActivity(openai.api),
    readBlastRadius: readBlastRadiusActivity(openai.api),
    probeProjectData: probeProjectDataActivity(openai.data, config.openai.deniedMatchers),
    // Validates the run's external key itself, right before the irreversible archive.
    archiveProject: requireApproval('archive', config, actionOf.archiveProject, archive),
    registerExternalKeyOnce: requireApproval(
      'archive',
      config,
      actionOf.registerExternalKeyOnceOn(aws.kms),
      registerExternalKeyOnce(openai.api),
    ),
    findExternalKeyByName: findExternalKeyByName(openai.api),
    createProjectOnce: requireApproval(
      'archive',
      config,
      actionOf.createProjectOnce,
      createProjectOnce(openai.api),
    ),
    findProjectByName: findProjectByName(openai.api),
    findOwnExternalKey: findOwnExternalKey(openai.api),
    findOwnProject: findOwnProject(openai.api),
    // evidence and people
    ...evidenceActivities(deps.evidence, { mode: config.sandbox ? 'sandbox' : 'production' }),
    notify: notifyActivity(config.notifications.webhookUrl),
    // Temporal: other runs, read
    describeLockHolder: lockHolderActivity(deps.temporal),
    ...sweepActivities({ temporal: deps.temporal, evidence: deps.evidence, taskQueue: config.taskQueue }),
  };
}

export type EkmActivities = ReturnType<typeof createActivities>;
export type { GcpAccessSnapshot } from '../providers/gcp/activities/snapshotAccess';
export type { GcpKeyUsageReport } from '../providers/gcp/activities/keyUsage';
export type { ExpectedRegistration, RegisterAwsKeyRequest, RegisterGcpKeyRequest } from './openai/provision';
