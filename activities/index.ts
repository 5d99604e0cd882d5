// Every activity the worker registers, built from the clients and settings of the worker's configuration.
// Workflows import the *type* of this object only.
import type { Client } from '@temporalio/client';
import { awsKmsOfKey } from '../providers/aws/activities';
import { createCloudActivities, type CloudActivityDeps } from '../providers/cloudActivities';
import { evidenceActivities } from './evidence/recordEvidence';
import { fleetEvidenceActivities } from './evidence/fleetEvidence';
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
import { readExternalKeyActivity, readProjectsActivity } from './openai/readProjects';
import { readTogetherActivity } from './readTogether';
import { validateExternalKeyActivity } from './openai/validateExternalKey';
import { planFollowUp } from './planFollowUp';
import { planRevocation } from './planRevocation';
import { planRotation } from './planRotation';
import { actionOf } from './approvedActions';
import { requireApproval } from './requireApproval';
import { runSettingsActivity, watchdogSettingsActivity } from './runSettings';
import { lockHolderActivity } from './temporal/lockHolder';
import { roleTurnActivities } from './temporal/roleTurns';
import { sweepActivities } from './temporal/sweepEndedRuns';

/** The worker's configuration, each cloud's clients (providers/cloudActivities.ts), OpenAI's, evidence, Temporal. */
export interface ActivityDeps extends CloudActivityDeps {
  openai: { api: AdminApi; data: DataApi };
  evidence: EvidenceStore;
  /** Temporal itself, for the reads of other runs (a lock's holder, the sweep); absent in bare tests. */
  temporal?: Client;
}

export function createActivities(deps: ActivityDeps) {
  const { config, aws, openai } = deps;
  const archive = archiveIfRevokedActivity(openai.api, config.openai.revokedMatchers);
  // Every change behind a gate verifies the gate's approvals itself before it acts, and finds its own
  // action (approvedActions.ts) among the ones approved (requireApproval).
  const activities = {
    // the worker's settings and the plan
    loadRunSettings: runSettingsActivity(config),
    loadWatchdogSettings: watchdogSettingsActivity(config),
    planRevocation,
    planFollowUp,
    planRotation,
    // every cloud's keys, access and audit trail
    ...createCloudActivities(deps),
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
      actionOf.registerExternalKeyOnceOn(awsKmsOfKey(config, aws)),
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
    ...fleetEvidenceActivities(deps.evidence),
    notify: notifyActivity(config.notifications.webhookUrl),
    // Temporal: other runs, read
    describeLockHolder: lockHolderActivity(deps.temporal),
    ...roleTurnActivities(deps.temporal),
    ...sweepActivities({ temporal: deps.temporal, evidence: deps.evidence, taskQueue: config.taskQueue }),
  };
  // Independent reads of a run made at once, as one activity (the baseline, a probe round).
  return { ...activities, readTogether: readTogetherActivity(activities) };
}

export type EkmActivities = ReturnType<typeof createActivities>;
export type { GcpAccessSnapshot } from '../providers/gcp/activities/snapshotAccess';
export type { GcpKeyUsageReport } from '../providers/gcp/activities/keyUsage';
export type { ExpectedRegistration, RegisterAwsKeyRequest, RegisterGcpKeyRequest } from './openai/provision';
export type { GcpKeyDescription } from '../providers/gcp/activities/describeKey';
export type { ReadCall, ReadTogetherName } from './readTogether';
