// The instants of a run's windows, checked one way everywhere.
import { z } from 'zod';

/** An instant with its zone, so a window given in one time zone means the same everywhere. */
export const instantField = (what: string) =>
  z.iso.datetime({
    offset: true,
    message: `must be an ISO 8601 time with a zone, e.g. 2025-01-31T09:00:00Z (${what})`,
  });
