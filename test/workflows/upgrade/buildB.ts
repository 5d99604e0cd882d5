// Build B of the same workflow type, changed without `patched()`: a timer before the wait, a command no
// history of build A has. Shipped as a new build, runs pinned to A never meet it.
import { condition, setHandler, sleep } from '@temporalio/workflow';
import { proceed } from './proceed';

export async function upgradeRehearsal(): Promise<string> {
  let go = false;
  setHandler(proceed, () => {
    go = true;
  });
  await sleep('1 second', { summary: 'the change build B ships' });
  await condition(() => go);
  return 'build B';
}
