// The worker's settings a run must follow (mode, cache wait, confirmations, approval policy), handed to
// the workflow by an activity so they are recorded in its history — and so a run's input can never
// choose them.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../common/errors';
import type { RunSettingsView } from '../common/runStatus';
import { gateKinds, type WorkerConfig } from '../worker/config';
import { canonicalJson } from '../common/canonicalJson';

export function runSettingsActivity(config: WorkerConfig) {
  return async function loadRunSettings(): Promise<RunSettingsView> {
    const { approvals, revoke } = config;
    const missing = gateKinds.filter((kind) => !approvals.gates[kind]);
    if (missing.length) {
      throw ApplicationFailure.create({
        type: EkmError.WorkerMisconfigured,
        nonRetryable: true,
        message: `the worker's configuration has no approval policy for the ${missing.join(', ')} gate(s): add approvals.gates.${missing[0]} = { "approvers": [...], "quorum": 1 } to the file named by EKM_WORKER_CONFIG`,
      });
    }
    const everyApprover = new Set<string>();
    for (const policy of [...Object.values(approvals.gates), approvals.breakGlass])
      policy?.approvers.forEach((a) => everyApprover.add(a));
    const settings: Omit<RunSettingsView, 'digest'> = {
      mode: config.sandbox ? 'sandbox' : 'production',
      openAiBaseUrl: config.openai.baseUrl,
      awsRegion: config.aws.region,
      cacheWaitSeconds: revoke.cacheWaitSeconds,
      validateConfirmations: revoke.validateConfirmations,
      validateIntervalSeconds: revoke.validateIntervalSeconds,
      validateWindowSeconds: revoke.validateWindowSeconds,
      probeWindowSeconds: revoke.probeWindowSeconds,
      probeIntervalSeconds: revoke.probeIntervalSeconds,
      // The trail's timings only: the read's page cap (usage.cloudTrailMaxPages) bounds a read, not the
      // run's plan, so it stays out of the settings' digest.
      usage: {
        deliveryLagSeconds: config.usage.deliveryLagSeconds,
        propagationGraceSeconds: config.usage.propagationGraceSeconds,
        lookbackSeconds: config.usage.lookbackSeconds,
      },
      watchdog: config.watchdog,
      ...(config.mutatingTaskQueue ? { mutatingTaskQueue: config.mutatingTaskQueue } : {}),
      approvals: {
        gates: approvals.gates,
        breakGlass: approvals.breakGlass,
        attesters: approvals.attesters ?? [...everyApprover],
        taskDeadlineSeconds: approvals.taskDeadlineSeconds,
        // The keys the run checks signatures against are part of the settings' digest, and so of the plan
        // hash and the evidence: a changed key set means a new plan.
        signers: signerKeys(config),
        unsignedAccepted: config.sandbox,
        // Only when there is one, so the settings (and their digest) of a worker revoking nothing read as before.
        ...(approvals.revokedKeys?.length ? { revokedKeys: approvals.revokedKeys } : {}),
      },
    };
    return { ...settings, digest: createHash('sha256').update(canonicalJson(settings)).digest('hex') };
  };
}

/** The configured signers' keys, by person in lower case (how statements name them). */
export function signerKeys(config: WorkerConfig): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const [person, list] of Object.entries(config.approvals.signers))
    keys[person.trim().toLowerCase()] = [...(keys[person.trim().toLowerCase()] ?? []), ...list];
  return keys;
}

/** The deletion watchdog's settings: how often it polls, whether a use cancels the deletion, the trail's lag. */
export function watchdogSettingsActivity(config: WorkerConfig) {
  return async function loadWatchdogSettings(): Promise<{
    pollSeconds: number;
    cancelDeletionOnUse: boolean;
    deliveryLagSeconds: number;
    mutatingTaskQueue?: string;
  }> {
    return {
      ...config.watchdog,
      deliveryLagSeconds: config.usage.deliveryLagSeconds,
      ...(config.mutatingTaskQueue ? { mutatingTaskQueue: config.mutatingTaskQueue } : {}),
    };
  };
}
