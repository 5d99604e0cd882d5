// The workflow ids that lock: one per key (every run that changes a key), one per shared role.
/**
 * One id space for every run that changes a key: a second start for the same key is refused. The key is
 * its ARN on AWS and its resource name on Google Cloud (both unique, neither has a second spelling).
 */
export function keyWorkflowId(keyArnValue: string): string {
  return `ekm-key:${keyArnValue}`;
}
/** A plan-only run changes nothing, so it takes no lock: its id is its own. */
export function planWorkflowId(keyArnValue: string, unique: string): string {
  return `ekm-plan:${keyArnValue}:${unique}`;
}
/** The lock that keeps two revocations through the same role apart. */
export function roleLockWorkflowId(roleArnValue: string): string {
  return `ekm-role-lock:${roleArnValue}`;
}
/** The queue in which runs that change a shared role take turns (workflows/roleQueue.ts). */
export function roleQueueWorkflowId(roleArnValue: string): string {
  return `ekm-role-queue:${roleArnValue}`;
}
