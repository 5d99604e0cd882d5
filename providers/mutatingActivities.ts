// Which activities change a cloud or OpenAI. When the worker's configuration names a mutating task queue,
// runs send exactly these there, to a worker whose credentials may change keys and projects; everything
// else (reads, plans, validate, probes, evidence, notifications) stays with the read-only worker, whose
// credentials cannot (policies/aws/). Each cloud lists its own (providers/<cloud>/spec.ts).
import type { EkmActivities } from '../activities';
import { providerSpecs } from '.';

/** The changes that are not any one cloud's: OpenAI's projects and registrations. */
const openAiChanges = [
  'archiveProject',
  'registerExternalKeyOnce',
  'createProjectOnce',
] as const satisfies readonly (keyof EkmActivities)[];

export const mutatingActivities: readonly string[] = [
  ...openAiChanges,
  ...Object.values(providerSpecs).flatMap((spec) => spec.mutatingActivities),
];

export function isMutating(activity: string): boolean {
  return mutatingActivities.includes(activity);
}
