// Turns on a shared role: runs whose method changes the role (AWS: remove-trust, remove-key-permission) ask
// the role's queue (workflows/roleQueue.ts) for a turn and wait, first come first served. The names are
// plain strings so the worker's activities and the CLI reach the queue without importing workflow code.

/** The queue's workflow type, its messages, and the run's query that tells the queue it really asked. */
export const roleTurnNames = {
  queueWorkflow: 'roleQueue',
  /** Signal to the queue: a run asks for its turn (sent by the run's activity, through signalWithStart). */
  ask: 'askRoleTurn',
  /** Signal to the queue: a run leaves the line, or gives its turn back. */
  end: 'endRoleTurn',
  /** Signal to a run: its place in line, or that its turn has come. */
  update: 'roleTurnUpdate',
  /** Query on the queue: who holds the role and who waits. */
  queueQuery: 'roleQueue',
  /** Query on a run: the queue it waits in or holds a turn from (null: none). */
  runQuery: 'roleTurn',
} as const;

/** The workflows that take turns on roles: revokeKey and restoreAccess. */
export const turnTakingWorkflows = ['revokeKey', 'restoreAccess'];

export interface Turn {
  workflowId: string;
  runId: string;
  askedAt: string;
}

export interface RoleQueueInput {
  role: string;
  /** Carried over by continue-as-new; checked again before it counts. */
  holder?: Turn & { since: string };
  line?: Turn[];
  served?: number;
}

/** What the queue answers to `ekm status` and to the tests: the holder first, then the line in order. */
export interface RoleQueueView {
  role: string;
  holder?: Turn & { since: string };
  line: Turn[];
  served: number;
  /** The last few asks the queue refused, and why (a squatter, an ended run, a forged ask). */
  refused: { turn: Turn; why: string }[];
  /** The last check Temporal could not answer (asked again later; the line keeps its order). */
  unanswered?: string;
}

export interface RoleTurnUpdate {
  queue: string;
  /** 1 is the holder's place: the first run waiting is 2nd in line. */
  place: number;
  /** The run holding the role, when one does. */
  holder?: string;
  yourTurn?: boolean;
}

/** What a run tells the queue about its turn (roleTurnNames.runQuery). */
export interface RoleTurnClaim {
  queue: string;
  state: 'waiting' | 'holding';
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** A waiting run's words, in its status and `ekm status`. */
export function waitingWords(role: string, u: Pick<RoleTurnUpdate, 'place' | 'holder'>): string {
  return `waiting for role ${role}: ${ordinal(u.place)} in line${u.holder ? ` behind ${u.holder}` : ''}`;
}
