// Jitter for the schedules ekm creates: each run starts up to this much after its time, so the schedules
// of many keys set up together (a fleet's) do not all read the audit trail in the same second and spend
// the account's LookupEvents quota at once (docs/quotas.md).

/** A tenth of the interval, at most five minutes (a daily check moves by minutes, not hours). */
export function scheduleJitterMs(everySeconds: number): number {
  return Math.min(Math.floor(everySeconds / 10), 300) * 1000;
}
