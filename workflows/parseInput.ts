// Every workflow checks its input again, whoever started it: bad input ends the run at once with a
// final InvalidInput naming the field and the fix, before anything is read or changed.
import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { EkmError } from '../common/errors';
import { describeIssues } from '../common/keys';

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.create({
      type: EkmError.InvalidInput,
      message: describeIssues(parsed.error),
      nonRetryable: true,
    });
  return parsed.data;
}
