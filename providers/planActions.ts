// Every action a gate may approve (common/planActions.ts), with each cloud's actions on its key
// (providers/<cloud>/planActions.ts), and how each reads for people.
import { canonicalJson } from '../common/canonicalJson';
import { describeActionWith, type KeyAction, type PlanActionOf } from '../common/planActions';
import type { AwsKeyAction } from './aws/planActions';
import type { GcpKeyAction } from './gcp/planActions';
import { specNamed } from '.';
import type { ProviderId } from './provider';

export type Cloud = ProviderId;

export type PlanAction = PlanActionOf<AwsKeyAction | GcpKeyAction, Cloud>;

/** One line for people (`ekm status`): what the action does, in the runbook's words. */
export function describeAction(a: PlanActionOf): string {
  return describeActionWith(a, (action: KeyAction) => {
    const spec = specNamed(action.cloud);
    // A record naming a cloud no spec serves is shown as it is, never guessed at.
    return spec
      ? spec.describeKeyAction(action)
      : `${action.do} on ${action.cloud}: ${canonicalJson(action)}`;
  });
}
