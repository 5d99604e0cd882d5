// Every Google Cloud activity the worker registers, built from the GCP clients and the worker's
// configuration. A worker without a `gcp` section registers them all the same, and each refuses
// (whenConfigured.ts); each change behind a gate verifies the gate's approvals itself before it acts.
import { actionOf } from '../../../activities/approvedActions';
import type { Ownership } from '../../../activities/ownership';
import { requireApproval } from '../../../activities/requireApproval';
import { boundToItsWatch } from '../../../activities/watchdogCancel';
import type { WorkerConfig } from '../../../worker/config';
import { quotasOf } from '../../../worker/quotas';
import { processQuotaLimiter } from '../../../activities/quotas/limiters';
import { createGcpClients, type GcpClients } from './clients';
import { describeGcpKeyActivity } from './describeKey';
import { cancelGcpKeyDestructionActivity, scheduleGcpKeyDestructionActivity } from './keyDestruction';
import { readGcpKeyRotationActivity, rotateGcpKeyActivity } from './keyRotation';
import { readGcpKeyUsageActivity } from './keyUsage';
import { createGcpReplacementKeyActivity, grantGcpOpenAiAccessActivity } from './replacementKey';
import { restoreGcpAccessActivity } from './restoreAccess';
import { revokeGcpAccessActivity } from './revokeAccess';
import { snapshotGcpAccessActivity } from './snapshotAccess';
import { whenConfigured } from './whenConfigured';

export interface GcpActivityDeps {
  config: WorkerConfig;
  /** Absent when the worker's configuration has no `gcp` section: the GCP activities then refuse. */
  gcp?: GcpClients;
  /** Marks what the worker creates and recognises it again (activities/ownership.ts). */
  ownership: Ownership;
}

/** The clients of the configuration's `gcp` section; none without one (the activities then refuse). */
export function gcpClientsOf(config: WorkerConfig): Pick<GcpActivityDeps, 'gcp'> {
  return {
    gcp: config.gcp ? createGcpClients(config.gcp, processQuotaLimiter(quotasOf(config))) : undefined,
  };
}

export function gcpActivities({ config, gcp, ownership }: GcpActivityDeps) {
  return {
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
    // The watchdog's automatic cancel: bound to the key's own watch, enabled by the configuration.
    cancelGcpKeyDestruction: boundToItsWatch(
      config,
      (i: { keyName: string }) => i.keyName,
      whenConfigured(gcp, cancelGcpKeyDestructionActivity),
    ),
    readGcpKeyUsage: whenConfigured(gcp, readGcpKeyUsageActivity),
  };
}
