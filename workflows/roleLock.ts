// A lock on a customer role: a workflow whose id names the role. Temporal refuses a second run with the
// same id while one is open, so two revocations through one role cannot overlap. The revoking run starts
// it as a child and releases it when it ends (or its close terminates it).
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const releaseLock = defineSignal('release');

export async function roleLock(heldBy: string): Promise<string> {
  let released = false;
  setHandler(releaseLock, () => {
    released = true;
  });
  await condition(() => released);
  return heldBy;
}
