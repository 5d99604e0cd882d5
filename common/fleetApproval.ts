// A fleet's approval: one signed gate per kind covers exactly the children's plans it lists. The list is
// the leaves of a Merkle tree — each leaf a child's workflow id, its plan hash and the actions that plan
// authorises — and what approvers sign (the gate's `planHash`) commits to the fleet's run, the tree's
// root, the number of leaves, the gate's kind and break-glass. A child is handed only its own leaf and the
// path to the root, so every child's proof stays small however large the fleet; the change's own check
// (common/approvalProof.ts) recomputes the root from the leaf and the hash from the root, and refuses a
// child that is not the leaf's, a plan that is not the leaf's, and an action the leaf does not list.
// Pure (no Node built-ins): the fleet opens gates with it, the child workflow and the activities check it.
import { canonicalJson } from './canonicalJson';
import { hashText } from './hashText';
import type { PlanActionOf } from './planActions';
import type { RunRef } from './signedStatement';

/** One child's plan as the fleet's gate lists it. */
export interface FleetChildPlan {
  workflowId: string;
  planHash: string;
  actions: PlanActionOf[];
}

/** One step of a leaf's path to the root: the sibling's hash, and on which side it sits. */
export interface MerkleStep {
  sibling: string;
  side: 'left' | 'right';
}

/** What a child holds of a fleet's decided gate: its own leaf, the path to the root, the fleet's run. */
export interface FleetCover {
  /** The fleet run whose gate the votes were cast on (their statements name it). */
  fleet: RunRef;
  root: string;
  count: number;
  entry: FleetChildPlan;
  path: MerkleStep[];
  /** The plan hash the child acts on: the change is refused unless it is the leaf's. */
  actsOn: string;
}

export function fleetLeafOf(child: FleetChildPlan): string {
  return hashText(
    canonicalJson({ workflowId: child.workflowId, planHash: child.planHash, actions: child.actions }),
  );
}

const pair = (left: string, right: string) => hashText(`${left}${right}`);

/** Every level of the tree, the leaves first; an odd node is paired with itself. */
function levelsOf(leaves: string[]): string[][] {
  const levels = [leaves.length ? leaves : [hashText('')]];
  while (levels.at(-1)!.length > 1) {
    const below = levels.at(-1)!;
    const above: string[] = [];
    for (let i = 0; i < below.length; i += 2) above.push(pair(below[i]!, below[i + 1] ?? below[i]!));
    levels.push(above);
  }
  return levels;
}

export function merkleRoot(leaves: string[]): string {
  return levelsOf(leaves).at(-1)![0]!;
}

export function merklePath(leaves: string[], index: number): MerkleStep[] {
  const levels = levelsOf(leaves);
  const path: MerkleStep[] = [];
  let at = index;
  for (const level of levels.slice(0, -1)) {
    const isRight = at % 2 === 1;
    const sibling = isRight ? level[at - 1]! : (level[at + 1] ?? level[at]!);
    path.push({ sibling, side: isRight ? 'left' : 'right' });
    at = Math.floor(at / 2);
  }
  return path;
}

export function rootFromPath(leaf: string, path: MerkleStep[]): string {
  return path.reduce(
    (hash, step) => (step.side === 'left' ? pair(step.sibling, hash) : pair(hash, step.sibling)),
    leaf,
  );
}

/** What the votes on a fleet gate sign: the fleet's run, the list (its root and size), the kind, break-glass. */
export function fleetGateHashOf(
  binding: { fleet: RunRef; root: string; count: number },
  kind: string,
  breakGlass: boolean,
): string {
  return hashText(
    canonicalJson({
      fleet: { workflowId: binding.fleet.workflowId, runId: binding.fleet.runId },
      children: binding.root,
      count: binding.count,
      kind,
      breakGlass: breakGlass === true,
    }),
  );
}

/** Each listed child's cover, in list order. */
export function fleetCovers(fleet: RunRef, children: FleetChildPlan[]): FleetCover[] {
  const leaves = children.map(fleetLeafOf);
  const root = merkleRoot(leaves);
  return children.map((entry, i) => ({
    fleet,
    root,
    count: children.length,
    entry,
    path: merklePath(leaves, i),
    actsOn: entry.planHash,
  }));
}

/**
 * Why the cover does not stand for the child `run` acting on plan `actsOn` behind a gate whose signed hash
 * is `gateHash`, or undefined when it does. The votes are checked by the caller, over `gateHash`.
 */
export function refuseFleetCover(
  cover: FleetCover,
  gateId: string,
  gateHash: string,
  kind: string,
  breakGlass: boolean,
  run: RunRef,
): string | undefined {
  const root = rootFromPath(fleetLeafOf(cover.entry), cover.path);
  if (root !== cover.root)
    return `fleet gate ${gateId}: the entry for ${cover.entry.workflowId} (plan ${cover.entry.planHash.slice(0, 12)}…) is not in the list the approval signs (its path leads to ${root.slice(0, 12)}…, not ${cover.root.slice(0, 12)}…): the entry was altered, or was never approved`;
  const hash = fleetGateHashOf(cover, kind, breakGlass);
  if (hash !== gateHash)
    return `fleet gate ${gateId}'s hash ${gateHash.slice(0, 12)}… is not the hash of fleet ${cover.fleet.workflowId}'s list, kind and break-glass the approval carries (${hash.slice(0, 12)}…): they were altered after the vote`;
  if (cover.entry.workflowId !== run.workflowId)
    return `fleet ${cover.fleet.workflowId}'s ${kind} approval (gate ${gateId}) lists ${cover.entry.workflowId}, not this run ${run.workflowId}: a fleet approval covers only the children it lists`;
  if (cover.entry.planHash !== cover.actsOn)
    return `fleet ${cover.fleet.workflowId}'s ${kind} approval (gate ${gateId}) approves plan ${cover.entry.planHash.slice(0, 12)}… for ${run.workflowId}, but the run acts on plan ${cover.actsOn.slice(0, 12)}… (its state drifted: it needs its own approval, \`ekm approve ${run.workflowId}\`)`;
  return undefined;
}
