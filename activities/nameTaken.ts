// The one failure every finder and create raises when a name is taken by something it cannot prove is its
// own: final (no retry makes it ours), with the candidates in its details for the person who resolves it.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../common/errors';
import type { Candidate, NameTakenDetails } from '../common/nameTaken';

export type { Candidate };

export function nameTaken(what: string, name: string, candidates: Candidate[]): ApplicationFailure {
  const details: NameTakenDetails = { name, candidates };
  return ApplicationFailure.create({
    type: EkmError.NameTaken,
    nonRetryable: true,
    message: `${what}: ${name} is taken by ${candidates.map((c) => `${c.id} (${c.description})`).join('; ')} — nothing proves this run made it, so it is not adopted; a person decides (\`ekm resolve\`)`,
    details: [details],
  });
}
