// Build A of a test-only workflow (test/production/workerUpgrade.test.ts): it waits for `proceed`, then ends.
import { condition, setHandler } from '@temporalio/workflow';
import { proceed } from './proceed';

export async function upgradeRehearsal(): Promise<string> {
  let go = false;
  setHandler(proceed, () => {
    go = true;
  });
  await condition(() => go);
  return 'build A';
}
