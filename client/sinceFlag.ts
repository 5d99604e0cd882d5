// `--since`: how far back `ekm usage` looks, as a duration back from now (30m, 24h, 7d) or an instant.
import { UsageError } from './errors';

const unitMs: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The window's start as an ISO instant; throws a usage error naming the flag and the forms it takes. */
export function parseSince(value: string, now: Date = new Date()): string {
  const text = value.trim();
  const duration = /^(\d{1,6})([mhd])$/.exec(text);
  if (duration) {
    const amount = Number(duration[1]);
    if (amount === 0) throw new UsageError(`--since ${value}: must be longer than zero`);
    return new Date(now.getTime() - amount * unitMs[duration[2]!]!).toISOString();
  }
  // An instant must carry its zone: a bare local time would mean a different window on another machine.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new UsageError(`--since ${value}: is not a valid time`);
    if (at >= now.getTime()) throw new UsageError(`--since ${value}: is in the future`);
    return new Date(at).toISOString();
  }
  throw new UsageError(
    `--since ${value}: give a duration back from now (30m, 24h, 7d) or an ISO time with its zone (2025-01-31T09:00:00Z)`,
  );
}

/** `--every 24h`, `--lookback 7d`: a length in seconds, from minutes to days. */
export function parseDuration(flag: string, value: string): number {
  const duration = /^(\d{1,6})([mhd])$/.exec(value.trim());
  if (!duration || Number(duration[1]) === 0)
    throw new UsageError(`${flag} ${value}: give a length such as 30m, 24h or 7d`);
  return (Number(duration[1]) * unitMs[duration[2]!]!) / 1000;
}
