// `ekm approve` and `ekm reject`: a person's vote on the open approval gate of a run. The CLI reads the
// open gate first and insists that `--plan` is (a prefix of) that gate's plan hash — an approver must not
// approve a plan they have not seen — then sends the vote with the full hash through the run's `vote`
// Update, whose validator is the authority (separation of duties, approvers, one vote each): a refusal
// comes back before anything is written to the run's history, and is printed as the run words it.
import type { Command } from 'commander';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { normalisePerson, tally, voteSchema, type GateView, type Vote } from '../../common/approvals';
import { describeIssues } from '../../common/keys';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { voteSignal, voteUpdate } from '../../workflows/revoke/messages';
import { voteStatement } from '../../common/signedStatement';
import { actSigner, addSigningOptions, signAct, validForSeconds, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { CliError, RefusedError, UsageError } from '../errors';
import { print } from '../output';
import {
  checkRunId,
  describeRun,
  gatedWorkflowTypes,
  queryStatus,
  renderGate,
  requireRunbook,
  runHandle,
} from '../runs';

interface VoteFlags extends SigningFlags {
  as?: string;
  plan?: string;
  runId?: string;
  comment?: string;
  signal?: boolean;
  json?: boolean;
}

export function registerApprove(program: Command): void {
  registerVote(program, 'approve');
}

export function registerReject(program: Command): void {
  registerVote(program, 'reject');
}

function registerVote(program: Command, decision: Vote['decision']): void {
  addSigningOptions(
    program
      .command(decision)
      .argument('<workflowId>', 'the run to vote on (ekm-key:…; see `ekm list --awaiting approval`)')
      .description(
        decision === 'approve'
          ? 'approve the open gate of a run, for the plan you reviewed (`ekm status` shows it)'
          : 'reject the open gate of a run: one rejection ends the gate (before the revoke: nothing is changed)',
      )
      .option('--as <who>', 'your name as the approval policy lists it (e.g. alice@example.com)')
      .option(
        '--plan <hash>',
        'the hash of the open gate you reviewed (`ekm status` shows it; it covers the plan and the actions the gate authorises), or a prefix of at least 12 hex characters',
      )
      .option('--run-id <id>', 'a specific run of the workflow id (default: the latest run)')
      .option('--comment <text>', 'a comment kept with the vote in the record')
      .option(
        '--signal',
        'send through the `vote-signal` Signal instead of the Update (for tools that can only signal): a refused signalled vote is only recorded on the run, never answered, so the CLI reads the run afterwards to tell you',
      )
      .option('--json', 'print JSON'),
  ).action(async (workflowId: string, flags: VoteFlags) => {
    const approver = flags.as?.trim();
    if (!approver) throw new UsageError('--as: is required: give your name as the approval policy lists it');
    const prefix = flags.plan?.trim().toLowerCase();
    if (!prefix || !/^[0-9a-f]{12,64}$/.test(prefix))
      throw new UsageError(
        `--plan: ${flags.plan === undefined ? 'is required' : `${JSON.stringify(flags.plan)} is not a plan hash`}: give the plan hash \`ekm status ${workflowId}\` shows, or at least its first 12 hex characters`,
      );
    const runId = checkRunId(flags.runId);
    if (flags.comment && flags.comment.length > 2000)
      throw new UsageError('--comment: is too long (at most 2000 characters)');
    const signer = actSigner(flags);
    const validFor = validForSeconds(flags);

    const outcome = await withClient(async ({ client }) => {
      const execution = await describeRun(client, workflowId, runId);
      // Pin the run read here, so the vote goes to the run whose gate was checked.
      const handle = runHandle(client, workflowId, execution.runId);
      requireRunbook(execution, gatedWorkflowTypes);
      const status = await queryStatus(client, workflowId, execution.runId);
      const gate = status.openGate;
      if (execution.status.name !== 'RUNNING' || !gate)
        throw new RefusedError(
          `no approval gate is open on ${workflowId} (run ${status.runId}, ${execution.status.name.toLowerCase()}, stage ${status.stage}${status.endState ? `, ended ${status.endState}` : ''})${status.openTask ? `; it waits for a person's answer instead: \`ekm attest ${workflowId}\`` : ''}`,
        );
      if (!gate.planHash.startsWith(prefix)) {
        // Show what is actually open, so the approver can review it, and refuse this vote.
        print(flags, { refused: true, openGate: gate, plan: status.plan }, () =>
          renderGate(gate, status, workflowId).join('\n'),
        );
        throw new RefusedError(
          `--plan ${prefix} is not the plan of the open gate ${gate.gateId} (plan ${gate.planHash.slice(0, 12)}…): review the plan above, then vote with --plan ${gate.planHash.slice(0, 12)} if you agree`,
        );
      }
      const unsigned: Vote = {
        gateId: gate.gateId,
        planHash: gate.planHash,
        decision,
        approver,
        ...(flags.comment ? { comment: flags.comment } : {}),
      };
      // Signed for this run, gate and plan only: the run rebuilds the same statement to verify it.
      const signature = signAct(signer, validFor, (expiresAt) =>
        voteStatement({ workflowId, runId: execution.runId }, unsigned, expiresAt),
      );
      const vote: Vote = { ...unsigned, ...(signature ? { signature } : {}) };
      const checked = voteSchema.safeParse(vote);
      if (!checked.success) throw new UsageError(describeIssues(checked.error));
      return flags.signal
        ? viaSignal(client, handle, execution.runId, status, vote)
        : viaUpdate(handle, vote).then((g) => ({ gate: g, counted: true as const }));
    });

    const { gate } = outcome;
    const decided = tally(gate);
    const approvals = gate.votes.filter((v) => v.decision === 'approve').length;
    print(
      flags,
      {
        workflowId,
        gateId: gate.gateId,
        planHash: gate.planHash,
        decision,
        approver,
        signed: signer !== undefined,
        via: flags.signal ? 'signal' : 'update',
        gateDecision: decided ?? null,
        approvals,
        quorum: gate.policy.quorum,
      },
      () =>
        [
          `${decision} by ${approver} recorded on gate ${gate.gateId} (${gate.kind}) for plan ${gate.planHash.slice(0, 12)}…${signer ? `, signed with ${signer.source}` : ', unsigned (only a sandbox worker takes it)'}`,
          decided
            ? `the gate is ${decided}: the run goes on (\`ekm status ${workflowId}\`)`
            : `${approvals}/${gate.policy.quorum} approval(s): waiting for ${gate.policy.quorum - approvals} more from ${gate.policy.approvers.join(', ')}`,
        ].join('\n'),
    );
  });
}

async function viaUpdate(handle: WorkflowHandle, vote: Vote): Promise<GateView> {
  try {
    return await handle.executeUpdate(voteUpdate, { args: [vote] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new RefusedError(`the run refused the vote: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

/** How long to look for a signalled vote's fate: the run handles it on its next workflow task. */
const signalWaitMs = 10_000;

async function viaSignal(
  client: Client,
  handle: WorkflowHandle,
  runId: string,
  before: RunStatus<RunSubject>,
  vote: Vote,
): Promise<{ gate: GateView; counted: true }> {
  await handle.signal(voteSignal, vote);
  const me = normalisePerson(vote.approver);
  const until = Date.now() + signalWaitMs;
  for (;;) {
    const now = await queryStatus(client, handle.workflowId, runId);
    const gate = now.gates.find((g) => g.gateId === vote.gateId);
    if (gate?.votes.some((v) => normalisePerson(v.approver) === me && v.via === 'signal'))
      return { gate, counted: true };
    if (now.refusedVoteCount > before.refusedVoteCount) {
      const mine = [...now.refusedVotes].reverse().find((r) => normalisePerson(r.approver) === me);
      throw new RefusedError(
        `the run refused the signalled vote (it is recorded as refused): ${mine?.why ?? 'see `ekm status`'}`,
      );
    }
    if (Date.now() > until)
      throw new CliError(
        `the vote was signalled, but the run has not handled it within ${signalWaitMs / 1000} s: check \`ekm status ${handle.workflowId}\``,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}
