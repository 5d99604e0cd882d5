// What an approval authorises, as data: a plan is also a canonical list of actions, and the hash approvers
// sign (the gate's `planHash`) commits to that list, to the gate's kind and to whether it is break-glass.
// A gated activity rebuilds its own action from its arguments and its own run (Temporal's, never the
// input's) and acts only when the approved list holds exactly that action — so a proof handed to another
// change (another key, another project, other days) authorises nothing. Resources that do not exist when
// the plan is made (the replacement key, role, external key and projects) are named by what the plan fixes:
// the cloud, the run that will make them (its `runTag`, which every name it gives carries) and what they
// replace. The actions on a cloud's key name it in the cloud's fields (providers/<cloud>/planActions.ts;
// providers/planActions.ts has the whole list and its wording). Pure (no Node built-ins): the workflow opens
// gates with it, the activities check with it.
import { canonicalJson } from './canonicalJson';
import { hashText } from './hashText';

/** The rotation as both the plan and the rotate activity can spell it. */
export type RotationAction =
  { kind: 'now' } | { kind: 'automatic'; periodDays: number } | { kind: 'automatic'; periodSeconds: number };

/** An action on one cloud's key: the key and OpenAI are named in that cloud's fields. */
export interface KeyAction {
  do: 'revoke-access' | 'schedule-key-deletion' | 'rotate-key';
  cloud: string;
  [field: string]: unknown;
}

/** Every action a gate may approve: `Key`, the actions on a cloud's key; `Cloud`, the clouds' ids. */
export type PlanActionOf<Key extends KeyAction = KeyAction, Cloud extends string = string> =
  | Key
  /** The snapshot is named by the sha256 of its canonical JSON: the exact document the restore applies. */
  | { do: 'restore-access'; cloud: Cloud; method: string; key: string; snapshot: string }
  /** Archive a project once OpenAI answers revoked for the run's external key (the activity asks again). */
  | { do: 'archive-project'; projectId: string; externalKeyId: string }
  | { do: 'create-replacement-key'; cloud: Cloud; replaces: string; owner: string }
  /** `to`: OpenAI as the plan names it — the sts:ExternalId of its role (AWS), its principal (Google Cloud). */
  | { do: 'grant-openai-access'; cloud: Cloud; owner: string; to: string }
  | { do: 'register-external-key'; cloud: Cloud; owner: string }
  | { do: 'create-project'; replaces: string; owner: string };

/** An action's one spelling: two actions are the same when these are equal. */
export function actionKey(action: PlanActionOf): string {
  return canonicalJson(action);
}

/**
 * What a gate approves and what its votes sign. `plans` is the list of plan hashes the approval covers:
 * one for a run's own gate; a fleet-level gate will list every child's plan, and each child proves its own
 * is listed (the activity checks membership, never position). `actions` is the union of what they do.
 */
export interface GateBinding {
  plans: string[];
  actions: PlanActionOf[];
}

/** The hash votes are bound to (voteStatement's planHash): plans, actions, gate kind and break-glass. */
export function gateHashOf(binding: GateBinding, kind: string, breakGlass: boolean): string {
  return hashText(
    canonicalJson({ plans: binding.plans, actions: binding.actions, kind, breakGlass: breakGlass === true }),
  );
}

/** The restore's snapshot id: the hash of the snapshot document it applies. */
export function snapshotId(snapshot: unknown): string {
  return hashText(canonicalJson(snapshot));
}

/** How a rotate-key action rotates, in words: "now", "automatically every 365 days". */
export function rotationWords(r: RotationAction): string {
  return r.kind === 'now'
    ? 'now'
    : 'periodDays' in r
      ? `automatically every ${r.periodDays} days`
      : `automatically every ${r.periodSeconds} s`;
}

/**
 * One line for people (`ekm status`): what the action does, in the runbook's words. An action on a cloud's
 * key is worded by its cloud (`keyAction`, providers/planActions.ts).
 */
export function describeActionWith<Key extends KeyAction>(
  a: PlanActionOf<Key>,
  keyAction: (a: Key) => string,
): string {
  switch (a.do) {
    case 'restore-access':
      return `restore what ${a.method} removed on ${a.key}, from snapshot ${a.snapshot.slice(0, 12)}…`;
    case 'archive-project':
      return `archive project ${a.projectId} (once ${a.externalKeyId} validates as revoked)`;
    case 'create-replacement-key':
      return `create a ${a.cloud} replacement key for ${a.replaces}, owned by run tag ${a.owner}`;
    case 'grant-openai-access':
      return `give OpenAI (${a.to}) access to the ${a.cloud} replacement key of run tag ${a.owner}`;
    case 'register-external-key':
      return `register the ${a.cloud} replacement key of run tag ${a.owner} as an external key`;
    case 'create-project':
      return `create a project replacing ${a.replaces}, owned by run tag ${a.owner}`;
    default:
      return keyAction(a);
  }
}
