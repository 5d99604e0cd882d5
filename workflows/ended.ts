// How a runbook ends early on purpose: a refusal, a gate not approved, a step that proved something wrong.
// Thrown from any step and caught by the run, which records the end state and its reason as evidence.
import type { EndState } from '../common/runStatus';

export class Ended extends Error {
  constructor(
    readonly endState: EndState,
    readonly reason: string,
  ) {
    super(reason);
  }
}
