import assert from 'node:assert/strict';
import {
  refuseAttestation,
  refuseVote,
  tally,
  taskAnswers,
  type Attestation,
  type GateView,
  type RecordedVote,
  type TaskKind,
  type TaskView,
  type Vote,
} from '../../common/approvals';

const planHash = 'a'.repeat(64);
const otherPlanHash = 'b'.repeat(64);
const requester = 'rita@example.com';

/** An open revoke gate whose approvers include the requester (separation of duties must still hold). */
function openGate(overrides: Partial<GateView> = {}): GateView {
  return {
    gateId: 'revoke-1',
    kind: 'revoke',
    planHash,
    policy: {
      approvers: ['alice@example.com', 'Bob@Example.com', requester],
      quorum: 1,
      deadlineSeconds: 3600,
    },
    breakGlass: false,
    openedAt: '2026-11-29T10:00:00.000Z',
    deadline: '2026-11-29T11:00:00.000Z',
    votes: [],
    ...overrides,
  };
}

/** A moment inside the gates' window (they open at 10:00 and close at 11:00). */
const beforeDeadline = Date.parse('2026-11-29T10:30:00.000Z');

const vote = (overrides: Partial<Vote> = {}): Vote => ({
  gateId: 'revoke-1',
  planHash,
  decision: 'approve',
  approver: 'alice@example.com',
  ...overrides,
});

const recorded = (approver: string, decision: Vote['decision'] = 'approve'): RecordedVote => ({
  ...vote({ approver, decision }),
  at: '2026-11-29T10:05:00.000Z',
  via: 'update',
});

describe('approval gates: refuseVote', function () {
  const cases: [string, Vote, GateView | undefined, RegExp | undefined][] = [
    ['no gate is open', vote(), undefined, /no approval gate is open on this run \(see `ekm status`/],
    [
      'the gate is already decided',
      vote(),
      openGate({ decision: 'approved', decidedAt: '2026-11-29T10:06:00.000Z' }),
      /no approval gate is open on this run/,
    ],
    [
      'the vote names another gate',
      vote({ gateId: 'archive-2' }),
      openGate(),
      /gate archive-2 is not the open gate; the open gate is revoke-1/,
    ],
    [
      'the vote is for another plan',
      vote({ planHash: otherPlanHash }),
      openGate(),
      /the vote is for plan bbbbbbbbbbbb…, but the gate is for plan aaaaaaaaaaaa… \(the plan changed: review it again with `ekm status`\)/,
    ],
    [
      'the requester votes (even though listed as an approver)',
      vote({ approver: requester }),
      openGate(),
      /rita@example\.com requested this run and cannot approve it \(separation of duties\)/,
    ],
    [
      'the requester votes under another case and with spaces',
      vote({ approver: '  Rita@EXAMPLE.com ' }),
      openGate(),
      /requested this run and cannot approve it \(separation of duties\)/,
    ],
    [
      'the requester rejects (separation of duties holds for either decision)',
      vote({ approver: requester, decision: 'reject' }),
      openGate(),
      /separation of duties/,
    ],
    [
      'someone who is not an approver',
      vote({ approver: 'mallory@example.com' }),
      openGate(),
      /mallory@example\.com is not an approver of the revoke gate \(allowed: alice@example\.com, Bob@Example\.com, rita@example\.com\)/,
    ],
    [
      'an approver who already voted',
      vote(),
      openGate({ votes: [recorded('alice@example.com')] }),
      /alice@example\.com has already voted on gate revoke-1/,
    ],
    [
      'an approver who already voted, under another case',
      vote({ approver: ' ALICE@example.com' }),
      openGate({ votes: [recorded('alice@example.com')] }),
      /has already voted on gate revoke-1/,
    ],
    ['a valid vote', vote(), openGate(), undefined],
    ['a valid rejection', vote({ decision: 'reject' }), openGate(), undefined],
    [
      'an approver listed with capitals, voting in lower case',
      vote({ approver: 'bob@example.com' }),
      openGate({ votes: [recorded('alice@example.com')] }),
      undefined,
    ],
  ];
  for (const [what, v, gate, expected] of cases) {
    it(`${what} → ${expected ? 'refused' : 'counts'}`, function () {
      const why = refuseVote(v, gate, requester, beforeDeadline);
      if (expected === undefined) assert.equal(why, undefined);
      else assert.match(why ?? '(counted)', expected);
    });
  }

  it('refuses any vote once the deadline has passed, even before the run closes the gate', function () {
    const why = refuseVote(vote(), openGate(), requester, Date.parse('2026-11-29T11:00:00.000Z'));
    assert.match(why ?? '(accepted)', /closed at its deadline, 2026-11-29T11:00:00\.000Z/);
  });

  it('names the requester check before the approver list (the order a person fixes things in)', function () {
    // The requester is not an approver here: the separation-of-duties reason is still the one given.
    const gate = openGate({ policy: { approvers: ['alice@example.com'], quorum: 1, deadlineSeconds: 60 } });
    assert.match(
      refuseVote(vote({ approver: requester }), gate, requester, beforeDeadline) ?? '',
      /separation of duties/,
    );
  });
});

describe('approval gates: tally', function () {
  const cases: [string, number, RecordedVote[], ReturnType<typeof tally>][] = [
    ['no votes yet', 1, [], undefined],
    ['one approval, quorum 1', 1, [recorded('alice@example.com')], 'approved'],
    ['one approval, quorum 2', 2, [recorded('alice@example.com')], undefined],
    ['two approvals, quorum 2', 2, [recorded('alice@example.com'), recorded('bob@example.com')], 'approved'],
    ['one rejection', 1, [recorded('alice@example.com', 'reject')], 'rejected'],
    [
      'a rejection after a quorum of approvals',
      2,
      [recorded('alice@example.com'), recorded('bob@example.com'), recorded('carol@example.com', 'reject')],
      'rejected',
    ],
    [
      'a rejection before the approvals',
      1,
      [recorded('carol@example.com', 'reject'), recorded('alice@example.com')],
      'rejected',
    ],
  ];
  for (const [what, quorum, votes, expected] of cases) {
    it(`${what} → ${expected ?? 'undecided'}`, function () {
      const gate = openGate({ votes, policy: { ...openGate().policy, quorum } });
      assert.equal(tally(gate), expected);
    });
  }
});

describe('human tasks: refuseAttestation', function () {
  const attesters = ['alice@example.com', 'Bob@Example.com'];
  const task = (kind: TaskKind, overrides: Partial<TaskView> = {}): TaskView => ({
    taskId: `${kind}-1`,
    kind,
    asks: taskAnswers[kind].asks,
    outcomes: taskAnswers[kind].outcomes,
    openedAt: '2026-11-29T10:00:00.000Z',
    deadline: '2026-12-06T10:00:00.000Z',
    ...overrides,
  });
  const attest = (overrides: Partial<Attestation> = {}): Attestation => ({
    taskId: 'chatgpt-verify-1',
    by: 'alice@example.com',
    outcome: 'inaccessible',
    ...overrides,
  });

  const cases: [string, Attestation, TaskView | undefined, RegExp | undefined][] = [
    ['no task is open', attest(), undefined, /no human task is open on this run/],
    [
      'the task is already answered',
      attest(),
      task('chatgpt-verify', { answer: { ...attest(), recordedAt: '2026-11-29T10:10:00.000Z' } }),
      /no human task is open on this run/,
    ],
    [
      'the task expired',
      attest(),
      task('chatgpt-verify', { expired: true }),
      /no human task is open on this run/,
    ],
    [
      'another task',
      attest({ taskId: 'probe-escalation-3' }),
      task('chatgpt-verify'),
      /task probe-escalation-3 is not the open task; the open task is chatgpt-verify-1/,
    ],
    [
      'someone who is not an attester',
      attest({ by: 'mallory@example.com' }),
      task('chatgpt-verify'),
      /mallory@example\.com may not answer tasks on this run \(allowed: alice@example\.com, Bob@Example\.com, rita@example\.com\)/,
    ],
    [
      'an outcome the task does not take',
      attest({ outcome: 'done' }),
      task('chatgpt-verify'),
      /outcome must be one of: inaccessible, still-accessible/,
    ],
    [
      'an escalation outcome on a verify task',
      attest({ outcome: 'keep-checking' }),
      task('chatgpt-verify'),
      /outcome must be one of: inaccessible, still-accessible/,
    ],
    [
      'chatgpt-support without a ticket reference',
      attest({ taskId: 'chatgpt-support-1', outcome: 'contacted' }),
      task('chatgpt-support'),
      /ticketReference is required: give the support ticket reference/,
    ],
    ['a valid verification', attest(), task('chatgpt-verify'), undefined],
    [
      'a valid verification by an attester in another case',
      attest({ by: ' bob@example.com ' }),
      task('chatgpt-verify'),
      undefined,
    ],
    [
      'chatgpt-support with a ticket reference',
      attest({ taskId: 'chatgpt-support-1', outcome: 'contacted', ticketReference: 'SUP-99' }),
      task('chatgpt-support'),
      undefined,
    ],
    [
      'the requester attesting the verification of their own run',
      attest({ by: 'Rita@example.com' }),
      task('chatgpt-verify'),
      /separation of duties/,
    ],
    [
      'a valid escalation answer',
      attest({ taskId: 'validate-escalation-1', outcome: 'stop' }),
      task('validate-escalation'),
      undefined,
    ],
  ];
  for (const [what, a, t, expected] of cases) {
    it(`${what} → ${expected ? 'refused' : 'accepted'}`, function () {
      const why = refuseAttestation(a, t, [...attesters, 'rita@example.com'], 'rita@example.com');
      if (expected === undefined) assert.equal(why, undefined);
      else assert.match(why ?? '(accepted)', expected);
    });
  }
});
