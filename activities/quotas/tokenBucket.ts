// A token bucket: `ratePerSecond` calls a second on average, at most `burst` at once. Callers reserve a
// token and wait their turn (first come, first served): a token taken ahead of the refill leaves the
// bucket in debt, and the next caller waits for that debt too. The clock is injected so tests need no time.

export interface BucketClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const wallClock: BucketClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: BucketClock = wallClock,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1))
      throw new RangeError(
        `a bucket needs a rate above 0 and a burst of at least 1 (${ratePerSecond}, ${burst})`,
      );
    this.tokens = burst;
    this.at = clock.now();
  }

  /** Takes a token now and says how long (ms) its holder must wait before calling; 0: call at once. */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.ratePerSecond);
    this.at = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  /** Resolves when the caller may make its call. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.clock.sleep(wait);
  }
}
