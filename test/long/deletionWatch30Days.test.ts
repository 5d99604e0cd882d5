// The deletion watchdog across a full 30-day window (KMS's longest) on the time-skipping server, with an
// hourly poll: about 720 polls. What it shows is the history: the watch continues as new, and no run's
// history comes near Temporal's limits. Minutes of wall time, so it runs in `npm run test:long`.
import assert from 'node:assert/strict';
import { watchWindow } from '../fixtures/deletionWatch';
import { startTwinWorld, type TwinWorld } from '../fixtures/twin';
import { startWebhook, type Webhook } from '../fixtures/webhook';

describe('the deletion watchdog over 30 days (time-skipping server)', function () {
  let world: TwinWorld | undefined;
  let webhook: Webhook | undefined;
  afterEach(async () => {
    await world?.close();
    await webhook?.close();
    world = webhook = undefined;
  });

  it('a 30-day watch stays far below the history limits: it continues as new', async function () {
    world = await startTwinWorld();
    webhook = await startWebhook();
    const r = await watchWindow(world, webhook, 30, false);
    assert.equal(r.endState, 'deletion-date-passed', r.reason);
    assert.equal(r.useCount, 0);
    assert.ok(r.polls >= 30 * 24 - 2, `${r.polls} polls`);
    assert.ok(r.runs > 1, 'the watch continued as new');
    // Temporal warns at 10,240 events and stops a run at 51,200; each run here stays near 300.
    assert.ok(r.longestRunHistory <= 400, `the longest run had ${r.longestRunHistory} events`);
    console.log(
      `      30-day watch: ${r.polls} polls in ${r.runs} runs, longest run history ${r.longestRunHistory} events`,
    );
  });
});
