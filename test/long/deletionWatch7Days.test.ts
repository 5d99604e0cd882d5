// The deletion watchdog across a 7-day window on the time-skipping server (production defaults; real
// activities through a clock shim: see fixtures/deletionWatch.ts). The 30-day watch and its history
// length run in `npm run test:long`.
import assert from 'node:assert/strict';
import { watchWindow } from '../fixtures/deletionWatch';
import { startTwinWorld, type TwinWorld } from '../fixtures/twin';
import { startWebhook, type Webhook } from '../fixtures/webhook';

describe('the deletion watchdog on the time-skipping server', function () {
  let world: TwinWorld | undefined;
  let webhook: Webhook | undefined;
  afterEach(async () => {
    await world?.close();
    await webhook?.close();
    world = webhook = undefined;
  });

  it('watches a 7-day window to its end, alerting on the use it sees', async function () {
    world = await startTwinWorld();
    webhook = await startWebhook();
    const r = await watchWindow(world, webhook, 7, true);
    assert.equal(r.endState, 'deletion-date-passed', r.reason);
    assert.equal(r.useCount, 1);
    assert.equal(r.uses[0]?.errorCode, 'KMSInvalidStateException');
    // An hourly poll over 7 days (the first window waits out the lag), continuing as new on the way.
    assert.ok(r.polls >= 7 * 24 - 2 && r.polls <= 7 * 24 + 2, `${r.polls} polls`);
    assert.ok(r.runs > 1 && r.longestRunHistory <= 400, `${r.runs} runs, ${r.longestRunHistory} events`);
    const alerts = webhook!.received.filter((n) => n.kind === 'watchdog');
    assert.equal(alerts.length, 1, 'one use, one alert');
  });
});
