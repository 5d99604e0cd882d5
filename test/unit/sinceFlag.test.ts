import assert from 'node:assert/strict';
import { UsageError } from '../../client/errors';
import { parseSince } from '../../client/sinceFlag';

const now = new Date('2025-01-31T12:00:00.000Z');

describe('ekm usage --since', function () {
  for (const [given, expected] of [
    ['30m', '2025-01-31T11:30:00.000Z'],
    ['24h', '2025-01-30T12:00:00.000Z'],
    ['7d', '2025-01-24T12:00:00.000Z'],
    [' 2h ', '2025-01-31T10:00:00.000Z'],
    ['2025-01-30T09:00:00Z', '2025-01-30T09:00:00.000Z'],
    ['2025-01-30T10:00:00+01:00', '2025-01-30T09:00:00.000Z'],
    ['2025-01-30T09:00Z', '2025-01-30T09:00:00.000Z'],
  ] as const) {
    it(`${given.trim()} → ${expected}`, function () {
      assert.equal(parseSince(given, now), expected);
    });
  }

  for (const [given, message] of [
    ['0h', /longer than zero/],
    ['24', /duration back from now/],
    ['1w', /duration back from now/],
    ['yesterday', /duration back from now/],
    ['2025-01-30T09:00:00', /ISO time with its zone/],
    ['2025-01-30', /ISO time with its zone/],
    ['2025-02-01T00:00:00Z', /in the future/],
    ['2025-13-40T09:00:00Z', /not a valid time/],
  ] as const) {
    it(`refuses ${given} as a usage error naming the flag`, function () {
      assert.throws(
        () => parseSince(given, now),
        (err: unknown) =>
          err instanceof UsageError && /^--since /.test(err.message) && message.test(err.message),
      );
    });
  }
});
