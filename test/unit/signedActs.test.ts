// Signed human acts without a server: the statement a signature binds, the refusals the workflow's
// validator gives, the check a gated activity makes on the approvals it is handed, and the configuration
// rule that a production worker knows every approver's key.
import assert from 'node:assert/strict';
import type { GateView } from '../../common/approvals';
import { type ApprovalAuthority } from '../../common/approvalProof';
import { refuseProof } from '../../activities/requireApproval';
import { gateHashOf } from '../../common/planActions';
import { type PlanAction } from '../../providers/planActions';
import {
  refuseSignature,
  statementVerifies,
  voteStatement,
  type SignerPolicy,
} from '../../common/signedStatement';
import { parseWorkerConfig, WorkerConfigError } from '../../worker/config';
import { approverKey, signAs, signatureBy, signersFor } from '../fixtures/approverKeys';

const run = { workflowId: 'ekm-key:arn:aws:kms:us-east-1:111122223333:key/k', runId: 'run-1' };
/** A revoke gate's binding: the plan it approves, the one action; votes sign its hash. */
const revoke: PlanAction = {
  do: 'revoke-access',
  cloud: 'aws',
  method: 'key-policy-deny',
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
  roleArn: 'arn:aws:iam::111122223333:role/openai',
};
const binding = { plans: ['a'.repeat(64)], actions: [revoke] };
const planHash = gateHashOf(binding, 'revoke', false);
const alice = 'alice@example.com';
const bob = 'bob@example.com';
const unsignedVote = { gateId: 'revoke-1', planHash, decision: 'approve', approver: alice };
const policy: SignerPolicy = { keys: signersFor([alice, bob]), unsignedAccepted: false };
const nowMs = Date.now();

function signedBy(person: string, statementRun = run, vote = unsignedVote, validForMs = 600_000) {
  return signatureBy(person, (expiresAt) => voteStatement(statementRun, vote, expiresAt), validForMs);
}

describe('signed votes (the validator’s check)', function () {
  const statement = (signature: { expiresAt: string }) =>
    voteStatement(run, unsignedVote, signature.expiresAt);

  it('takes a vote signed by the approver’s key for this run, gate and plan', function () {
    const signature = signedBy(alice);
    assert.equal(refuseSignature(statement(signature), signature, policy, nowMs), undefined);
  });

  it('refuses a signature made with another key, naming the statement', function () {
    const signature = signedBy(bob); // bob's key, claiming to be alice
    assert.match(
      refuseSignature(statement(signature), signature, policy, nowMs) ?? '',
      /the signature is not alice@example.com's for this statement .*revoke-1/,
    );
  });

  it('refuses a statement replayed onto another run, gate or plan', function () {
    const otherRun = signedBy(alice, { ...run, runId: 'run-0' });
    const otherGate = signedBy(alice, run, { ...unsignedVote, gateId: 'revoke-2' });
    const otherPlan = signedBy(alice, run, { ...unsignedVote, planHash: 'b'.repeat(64) });
    const reject = signedBy(alice, run, { ...unsignedVote, decision: 'reject' });
    for (const signature of [otherRun, otherGate, otherPlan, reject])
      assert.match(
        refuseSignature(statement(signature), signature, policy, nowMs) ?? '',
        /signed with another key, or for another run, gate or plan/,
      );
  });

  it('refuses a statement past its expiresAt', function () {
    const signature = signedBy(alice, run, unsignedVote, -60_000);
    assert.match(
      refuseSignature(statement(signature), signature, policy, Date.now()) ?? '',
      /expired at .*sign it again/,
    );
  });

  it('refuses a signature whose expiry was edited after signing', function () {
    const signature = signedBy(alice);
    const later = { ...signature, expiresAt: new Date(nowMs + 86_400_000).toISOString() };
    assert.ok(refuseSignature(statement(later), later, policy, nowMs));
  });

  it('takes unsigned votes only where the worker is a sandbox', function () {
    const bare = voteStatement(run, unsignedVote);
    assert.match(refuseSignature(bare, undefined, policy, nowMs) ?? '', /is not signed: .*ekm keys init/);
    assert.equal(refuseSignature(bare, undefined, { ...policy, unsignedAccepted: true }, nowMs), undefined);
  });

  it('refuses a signer the configuration has no key for', function () {
    const carol = 'carol@example.com';
    const vote = { ...unsignedVote, approver: carol };
    const signature = signatureBy(carol, (e) => voteStatement(run, vote, e));
    assert.match(
      refuseSignature(voteStatement(run, vote, signature.expiresAt), signature, policy, nowMs) ?? '',
      /carol@example.com has no public key .*approvals.signers/,
    );
  });

  it('names the signer in lower case, so a capitalised --as signs the same statement', function () {
    const shouty = { ...unsignedVote, approver: ' Alice@Example.com ' };
    const signature = signatureBy(alice, (e) => voteStatement(run, shouty, e));
    assert.ok(
      statementVerifies(voteStatement(run, unsignedVote, signature.expiresAt), signature.value, [
        approverKey(alice).publicKey,
      ]),
    );
  });

  it('never verifies with a malformed key or signature', function () {
    const signature = signedBy(alice);
    const s = statement(signature);
    assert.equal(statementVerifies(s, signature.value, ['ed25519:zz']), false);
    assert.equal(statementVerifies(s, 'ab'.repeat(64), [approverKey(alice).publicKey]), false);
  });
});

describe('approvals re-checked by the change that acts on them', function () {
  const authority: ApprovalAuthority = {
    policies: { revoke: { approvers: [alice, bob, 'rita@example.com'], quorum: 1 } },
    keys: signersFor([alice, bob, 'rita@example.com']),
    unsignedAccepted: false,
  };
  function gate(votes: GateView['votes'], overrides: Partial<GateView> = {}): GateView {
    return {
      gateId: 'revoke-1',
      kind: 'revoke',
      planHash,
      ...binding,
      policy: { approvers: [alice, bob], quorum: 1, deadlineSeconds: 3600 },
      breakGlass: false,
      openedAt: new Date(nowMs).toISOString(),
      deadline: new Date(nowMs + 3_600_000).toISOString(),
      votes,
      decision: 'approved',
      ...overrides,
    };
  }
  const recorded = (signature?: ReturnType<typeof signedBy>, approver = alice) => ({
    ...unsignedVote,
    decision: 'approve' as const,
    approver,
    at: new Date(nowMs).toISOString(),
    via: 'update' as const,
    ...(signature ? { signature } : {}),
  });
  const proof = (g: GateView) => ({ gate: g, requester: 'rita@example.com' });

  it('acts on a quorum of verified approvals of this run', function () {
    assert.equal(
      refuseProof('revoke', proof(gate([recorded(signedBy(alice))])), authority, run, revoke),
      undefined,
    );
  });

  it('refuses a vote signed valid for more than 24 h, and one whose key was revoked before the change', function () {
    const week = recorded(signedBy(alice, run, unsignedVote, 7 * 86_400_000));
    assert.match(
      refuseProof('revoke', proof(gate([week])), authority, run, revoke) ?? '',
      /alice@example\.com: signed valid for more than 24 h/,
    );
    const revokedFrom = new Date(nowMs + 60_000).toISOString();
    const withRevocation: ApprovalAuthority = {
      ...authority,
      revokedKeys: [{ key: approverKey(alice).publicKey, from: revokedFrom, reason: 'laptop lost' }],
    };
    const g = gate([recorded(signedBy(alice))]);
    // Before the revocation the vote counts; a change made after it finds the key revoked.
    assert.equal(refuseProof('revoke', proof(g), withRevocation, run, revoke, nowMs), undefined);
    assert.match(
      refuseProof('revoke', proof(g), withRevocation, run, revoke, nowMs + 120_000) ?? '',
      /revoked from .*laptop lost/,
    );
  });

  it('refuses approvals signed with another key, for another run, or unsigned', function () {
    for (const vote of [
      recorded(signedBy(bob)),
      recorded(signedBy(alice, { ...run, runId: 'run-0' })),
      recorded(undefined),
    ])
      assert.match(
        refuseProof('revoke', proof(gate([vote])), authority, run, revoke) ?? '',
        /0 verified approval\(s\) of the 1 .*not counted: alice@example.com: (signature does not verify|unsigned)/,
      );
  });

  it('refuses a gate whose hash, actions, plans or break-glass were changed after the votes', function () {
    const altered = /is not the hash of the actions, plans, kind and break-glass the approvals carry/;
    const signed = [recorded(signedBy(alice))];
    for (const overrides of [
      { planHash: 'c'.repeat(64) },
      { actions: [{ ...revoke, method: 'disable-key' }] },
      { plans: ['b'.repeat(64)] },
      { breakGlass: true },
    ] as Partial<GateView>[])
      assert.match(
        refuseProof('revoke', proof(gate(signed, overrides)), authority, run, revoke) ?? '',
        altered,
      );
    // Re-hashed after the edit, the votes no longer verify: they signed the old hash.
    const rehashed = { plans: binding.plans, actions: [{ ...revoke, method: 'disable-key' }] };
    const g = gate(signed, { ...rehashed, planHash: gateHashOf(rehashed, 'revoke', false) });
    assert.match(
      refuseProof('revoke', proof(g), authority, run, { ...revoke, method: 'disable-key' }) ?? '',
      /signature does not verify/,
    );
  });

  it('refuses a change its approved gate does not list, naming the change', function () {
    assert.match(
      refuseProof('revoke', proof(gate([recorded(signedBy(alice))])), authority, run, {
        ...revoke,
        keyArn: 'arn:aws:kms:us-east-1:111122223333:key/other',
      }) ?? '',
      /does not include this change: revoke access \(key-policy-deny\) to arn:aws:kms:us-east-1:111122223333:key\/other/,
    );
  });

  it('refuses a gate that lists no actions (opened before approvals were bound to actions)', function () {
    const g = gate([recorded(signedBy(alice))], { actions: undefined, plans: undefined });
    assert.match(refuseProof('revoke', proof(g), authority, run, revoke) ?? '', /names no actions/);
  });

  it('break-glass covers only the gates the worker lists', function () {
    const breakGlassHash = gateHashOf(binding, 'revoke', true);
    const vote = { ...unsignedVote, planHash: breakGlassHash };
    const g = gate([{ ...recorded(signedBy(alice, run, vote)), planHash: breakGlassHash }], {
      breakGlass: true,
      planHash: breakGlassHash,
    });
    const withBreakGlass = (gates: string[]) => ({
      ...authority,
      breakGlass: { approvers: [alice], quorum: 1, gates },
    });
    assert.equal(refuseProof('revoke', proof(g), withBreakGlass(['revoke']), run, revoke), undefined);
    assert.match(
      refuseProof('revoke', proof(g), withBreakGlass(['archive']), run, revoke) ?? '',
      /a break-glass approval does not cover the revoke gate on this worker \(approvals.breakGlass.gates: archive\)/,
    );
  });

  it('counts the worker’s own quorum and approvers, not the ones the gate claims', function () {
    const strict = { ...authority, policies: { revoke: { approvers: [alice, bob], quorum: 2 } } };
    const g = gate([recorded(signedBy(alice))], {
      policy: { approvers: [alice], quorum: 1, deadlineSeconds: 3600 },
    });
    assert.match(
      refuseProof('revoke', proof(g), strict, run, revoke) ?? '',
      /1 verified approval\(s\) of the 2/,
    );
    const requesterVote = recorded(
      signatureBy('rita@example.com', (e) =>
        voteStatement(run, { ...unsignedVote, approver: 'rita@example.com' }, e),
      ),
      'rita@example.com',
    );
    assert.match(
      refuseProof('revoke', proof(gate([requesterVote])), authority, run, revoke) ?? '',
      /rita@example.com: the requester/,
    );
  });

  it('refuses no approvals, a rejection, and another gate’s approvals', function () {
    assert.match(refuseProof('revoke', undefined, authority, run, revoke) ?? '', /handed no approvals/);
    const rejected = { ...recorded(signedBy(alice)), decision: 'reject' as const };
    assert.match(
      refuseProof('revoke', proof(gate([rejected])), authority, run, revoke) ?? '',
      /has a rejection/,
    );
    assert.match(
      refuseProof('archive', proof(gate([recorded(signedBy(alice))])), authority, run, revoke) ?? '',
      /for a revoke gate, not the archive gate/,
    );
  });

  it('a sandbox worker acts on unsigned approvals', function () {
    assert.equal(
      refuseProof(
        'revoke',
        proof(gate([recorded(undefined)])),
        { ...authority, unsignedAccepted: true },
        run,
        revoke,
      ),
      undefined,
    );
  });
});

describe('approver keys in the worker configuration', function () {
  const policy = { approvers: [alice, bob] };
  const gates = { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy };
  const loopback = { aws: { endpoint: 'http://127.0.0.1:9' }, openai: { baseUrl: 'http://127.0.0.1:9/v1' } };

  it('a production worker needs a key for every approver, named in the error', function () {
    assert.throws(
      () => parseWorkerConfig({ approvals: { gates, signers: signersFor([alice]) } }),
      (err: Error) =>
        err instanceof WorkerConfigError &&
        /approvals\.signers\.bob@example\.com: is missing: .*ekm keys init/.test(err.message),
    );
    assert.ok(parseWorkerConfig({ approvals: { gates, signers: signersFor([alice, bob]) } }));
  });

  it('a sandbox worker may leave keys out; a malformed key is refused with the format', function () {
    assert.ok(
      parseWorkerConfig({
        sandbox: true,
        ...loopback,
        revoke: { cacheWaitSeconds: 3 },
        approvals: { gates },
      }),
    );
    assert.throws(
      () =>
        parseWorkerConfig({
          sandbox: true,
          ...loopback,
          approvals: { gates, signers: { [alice]: ['abc'] } },
        }),
      /approvals\.signers\.alice@example\.com\.0: must be a public key as `ekm keys init` prints it/,
    );
  });

  it('signs with node:crypto what @noble/curves verifies (the CLI and the workflow agree)', function () {
    const s = voteStatement(run, unsignedVote, new Date(nowMs + 60_000).toISOString());
    assert.ok(statementVerifies(s, signAs(alice, s), [approverKey(alice).publicKey]));
  });
});
