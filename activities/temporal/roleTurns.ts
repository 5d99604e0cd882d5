// A run's turn on a shared role, as Temporal sees it: the ask (signal-with-start of the role's queue) and
// the queue's check that a run it is about to serve, or serves, is a revocation or restore that is running
// and asked for this very queue (its own query says so: a forged ask names a run that never asked).
import { QueryNotRegisteredError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import { roleTurnNames, type RoleTurnClaim, type Turn } from '../../common/roleTurns';
import { needTemporal } from './lockHolder';

export interface AskRoleTurn {
  role: string;
  queue: string;
  /** The task queue the queue workflow runs on: the asking run's own. */
  taskQueue: string;
  turn: Turn;
}

export interface TurnTaker {
  workflowType: string;
  status: string;
  /** What the run says of its turn: waiting in or holding `queue`; null when it claims none there. */
  claim: RoleTurnClaim['state'] | null;
}

/** gRPC's INVALID_ARGUMENT, as Temporal answers a run id that is not one. */
const invalidArgument = 3;

function grpcCode(err: unknown): number | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (typeof e.code === 'number') return e.code;
  return undefined;
}

/** A query to a run whose worker is gone would wait for one; the queue asks again at its next check. */
const queryDeadlineMs = 10_000;

export function roleTurnActivities(temporal: Client | undefined) {
  return {
    async askForRoleTurn({ role, queue, taskQueue, turn }: AskRoleTurn): Promise<void> {
      const client = needTemporal(temporal, 'askForRoleTurn');
      const handle = await client.workflow.signalWithStart(roleTurnNames.queueWorkflow, {
        workflowId: queue,
        taskQueue,
        args: [{ role }],
        signal: roleTurnNames.ask,
        signalArgs: [turn],
        staticSummary: `Turns on role ${role}: one run that changes it at a time, first come first served`,
      });
      // Anyone with namespace access can start another workflow type under the queue's id: it would take
      // the ask and never answer. Said at once, naming it, instead of waiting forever.
      const { type } = await handle.describe();
      if (type !== roleTurnNames.queueWorkflow)
        throw ApplicationFailure.create({
          type: EkmError.LockRefused,
          nonRetryable: true,
          message: `roleArn: ${queue} is a ${type} run, not the role's queue; nothing was changed — terminate that workflow and start again`,
        });
    },

    async describeTurnTaker({ turn, queue }: { turn: Turn; queue: string }): Promise<TurnTaker | null> {
      const client = needTemporal(temporal, 'describeTurnTaker');
      const handle = client.workflow.getHandle(turn.workflowId, turn.runId);
      let described;
      try {
        described = await handle.describe();
      } catch (err) {
        // No such run, or a run id that cannot be one (a made-up holder): nobody to serve.
        if (err instanceof WorkflowNotFoundError || grpcCode(err) === invalidArgument) return null;
        throw err;
      }
      const taker = { workflowType: described.type, status: described.status.name };
      if (taker.status !== 'RUNNING') return { ...taker, claim: null };
      try {
        const claim = await client.connection.withDeadline(Date.now() + queryDeadlineMs, () =>
          handle.query<RoleTurnClaim | null>(roleTurnNames.runQuery),
        );
        return { ...taker, claim: claim?.queue === queue ? claim.state : null };
      } catch (err) {
        // A run that never set the query (another type, a key-only run, a run from before turns) claims
        // nothing: the server answers its refusal as an invalid argument.
        if (err instanceof QueryNotRegisteredError || /did not register a handler/.test(String(err)))
          return { ...taker, claim: null };
        throw err;
      }
    },
  };
}
