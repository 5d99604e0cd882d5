// The sandbox's sweep of ended runs: its schedule is created at start unless the dev server's state
// already holds it, so a run terminated during a rehearsal (or by the restart) is found and recorded.
import { Client, Connection } from '@temporalio/client';
import { createSweepSchedule, defaultSweepEverySeconds } from '../client/sweepSchedule';

/** Creates the sweep schedule for `taskQueue` unless it is there; true when created. */
export async function scheduleSweep(
  address: string,
  taskQueue: string,
  namespace = 'default',
): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const client = new Client({ connection, namespace, identity: 'ekm sandbox (npm start)' });
    return await createSweepSchedule(client, taskQueue, defaultSweepEverySeconds);
  } finally {
    await connection.close();
  }
}
