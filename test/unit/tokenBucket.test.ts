// The worker's token bucket on a clock the test moves: who may call when, counted against the budget
// burst + rate·t, with no time passing for real.
import assert from 'node:assert/strict';
import { TokenBucket, type BucketClock } from '../../activities/quotas/tokenBucket';
import { createQuotaLimiter } from '../../activities/quotas/limiters';
import { quotasOf } from '../../worker/quotas';

/** A clock that only moves when told; a sleep records its wake-up time and resolves at once. */
function manualClock() {
  let now = 0;
  const wakeUps: number[] = [];
  const clock: BucketClock = {
    now: () => now,
    sleep: async (ms) => {
      wakeUps.push(now + ms);
    },
  };
  return { clock, wakeUps, advance: (ms: number) => (now += ms) };
}

describe('the token bucket', function () {
  it('lets a burst through at once, then one call per 1/rate, first come first served', function () {
    const { clock } = manualClock();
    const bucket = new TokenBucket(2, 2, clock);
    assert.deepEqual(
      Array.from({ length: 6 }, () => bucket.reserve()),
      [0, 0, 500, 1000, 1500, 2000],
    );
  });

  it('refills with time, never above its burst', function () {
    const { clock, advance } = manualClock();
    const bucket = new TokenBucket(2, 2, clock);
    bucket.reserve();
    bucket.reserve();
    advance(10_000); // idle far longer than a burst's worth
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 500]);
  });

  it('never grants more than burst + rate·t calls by any time t, whatever the arrivals', function () {
    const { clock, advance } = manualClock();
    const rate = 3;
    const burst = 3;
    const bucket = new TokenBucket(rate, burst, clock);
    const grants: number[] = [];
    // Arrivals in clumps: 10 at once, a pause, 7 more, then one every 50 ms.
    const arrivals = [
      ...Array(10).fill(0),
      ...Array(7).fill(1200),
      ...Array.from({ length: 20 }, (_, i) => 1300 + i * 50),
    ];
    let at = 0;
    for (const arrival of arrivals) {
      advance(arrival - at);
      at = arrival;
      grants.push(at + bucket.reserve());
    }
    grants.sort((a, b) => a - b);
    grants.forEach((t, i) => assert.ok(i + 1 <= burst + (rate * t) / 1000, `call ${i + 1} at ${t} ms`));
  });

  it('take() waits exactly the reserved time on the injected clock', async function () {
    const { clock, wakeUps } = manualClock();
    const bucket = new TokenBucket(1, 1, clock);
    await bucket.take();
    await bucket.take();
    await bucket.take();
    assert.deepEqual(wakeUps, [1000, 2000]);
  });

  it('refuses a rate of 0 or a burst under one', function () {
    assert.throws(() => new TokenBucket(0, 1), RangeError);
    assert.throws(() => new TokenBucket(1, 0.5), RangeError);
  });

  it('keeps one bucket per API: one API’s queue does not hold up another', async function () {
    const { clock, wakeUps } = manualClock();
    const limiter = createQuotaLimiter({ ...quotasOf({}), cloudTrailLookupEvents: 2, kmsWrites: 5 }, clock);
    for (let i = 0; i < 4; i++) await limiter.take('cloudTrailLookupEvents');
    assert.deepEqual(wakeUps, [500, 1000]);
    for (let i = 0; i < 5; i++) await limiter.take('kmsWrites');
    assert.deepEqual(wakeUps, [500, 1000], 'five KMS writes fit their own burst');
  });
});
