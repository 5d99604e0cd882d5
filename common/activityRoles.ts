// Which activities change a cloud or OpenAI. When the worker's configuration names a mutating task queue,
// runs send exactly these there, to a worker whose credentials may change keys and projects; everything
// else (reads, plans, validate, probes, evidence, notifications) stays with the read-only worker, whose
// credentials cannot (policies/aws/).
import type { EkmActivities } from '../activities';

export const mutatingActivities = [
  'revokeAwsAccess',
  'restoreAwsAccess',
  'createReplacementKeyOnce',
  'grantOpenAiAccess',
  'scheduleAwsKeyDeletion',
  'cancelAwsKeyDeletion',
  'rotateAwsKey',
  'archiveProject',
  'registerExternalKeyOnce',
  'createProjectOnce',
  'revokeGcpAccess',
  'restoreGcpAccess',
  'rotateGcpKey',
  'createGcpReplacementKey',
  'grantGcpOpenAiAccess',
  'scheduleGcpKeyDestruction',
  'cancelGcpKeyDestruction',
] as const satisfies readonly (keyof EkmActivities)[];

export function isMutating(activity: string): boolean {
  return (mutatingActivities as readonly string[]).includes(activity);
}

/** all: one worker does everything; read: workflows and reads; mutating: the changes only. */
export const workerRoles = ['all', 'read', 'mutating'] as const;
export type WorkerRole = (typeof workerRoles)[number];
