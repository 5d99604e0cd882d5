// A lock on a customer role: a workflow whose id names the role. Temporal refuses a second run with the
// same id while one is open, so two revocations through one role cannot overlap. The revoking run starts
// it as a child that closes with its parent.
import { condition } from '@temporalio/workflow';

export async function roleLock(heldBy: string): Promise<string> {
  // Held until the parent closes (parent-close policy TERMINATE); nothing to do meanwhile.
  await condition(() => false);
  return heldBy;
}
