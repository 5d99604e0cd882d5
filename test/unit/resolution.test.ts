// Where a run stops for a person: the rules a resolution must pass (the workflow's validator and the CLI
// apply the same), the statement its signature binds, and how a quorum decides.
import assert from 'node:assert/strict';
import {
  decidedResolution,
  refuseResolution,
  resolutionStatement,
  stopHashOf,
  type Resolution,
  type StopView,
} from '../../common/resolution';
import { refuseSignature } from '../../common/signedStatement';
import { signatureBy, signersFor } from '../fixtures/approverKeys';

const alice = 'alice@example.com';
const bob = 'bob@example.com';
const rita = 'rita@example.com';
const run = { workflowId: 'ekm-key:arn:aws:kms:us-east-1:111122223333:key/k', runId: 'run-1' };
const nowMs = Date.now();

function openStop(quorum = 1): StopView {
  const what = {
    stopId: 'resolve-7',
    step: 'replacement external key',
    name: 'ekm-0123456789abcdef',
    why: 'ekm-0123456789abcdef is taken by something this run cannot prove it made',
    candidates: [{ id: 'extkey_planted', description: 'an aws key registered for another key' }],
  };
  return {
    ...what,
    stopHash: stopHashOf(what),
    policy: { approvers: [alice, bob], quorum, deadlineSeconds: 3600 },
    breakGlass: false,
    openedAt: new Date(nowMs).toISOString(),
    deadline: new Date(nowMs + 3_600_000).toISOString(),
    votes: [],
  };
}

const answer = (stop: StopView, more: Partial<Resolution> = {}): Resolution => ({
  stopId: stop.stopId,
  stopHash: stop.stopHash,
  choice: 'create-again',
  approver: alice,
  ...more,
});

describe('resolving a stopped run', function () {
  it('takes an approver’s create-again, abandon, or adoption of a listed candidate', function () {
    const stop = openStop();
    assert.equal(refuseResolution(answer(stop), stop, rita, nowMs), undefined);
    assert.equal(refuseResolution(answer(stop, { choice: 'abandon' }), stop, rita, nowMs), undefined);
    const adopt = answer(stop, { choice: 'adopt', resource: 'extkey_planted' });
    assert.equal(refuseResolution(adopt, stop, rita, nowMs), undefined);
  });

  it('refuses the requester, a non-approver, a second answer, another stop or hash, an unlisted adoption', function () {
    const stop = openStop();
    const why = (r: Resolution) => refuseResolution(r, stop, rita, nowMs) ?? '';
    assert.match(why(answer(stop, { approver: rita })), /requested this run.*separation of duties/);
    assert.match(why(answer(stop, { approver: 'mallory@example.com' })), /may not resolve/);
    assert.match(why(answer(stop, { stopId: 'resolve-1' })), /not the open stop/);
    assert.match(why(answer(stop, { stopHash: 'b'.repeat(64) })), /stop hash/);
    assert.match(
      why(answer(stop, { choice: 'adopt', resource: 'extkey_other' })),
      /not among what the run found.*extkey_planted/,
    );
    assert.match(why(answer(stop, { choice: 'adopt' })), /adopt needs the resource/);
    assert.match(why(answer(stop, { resource: 'extkey_planted' })), /takes no resource/);
    stop.votes.push({ ...answer(stop), at: new Date(nowMs).toISOString() });
    assert.match(why(answer(stop)), /already answered/);
    assert.match(
      refuseResolution(answer(stop, { approver: bob }), undefined, rita, nowMs) ?? '',
      /not stopped for a person/,
    );
    assert.match(
      refuseResolution(answer(stop, { approver: bob }), stop, rita, nowMs + 3_600_000) ?? '',
      /closed at its deadline/,
    );
  });

  it('decides when a quorum agrees on one choice, and not before', function () {
    const stop = openStop(2);
    const at = new Date(nowMs).toISOString();
    stop.votes.push({ ...answer(stop, { choice: 'adopt', resource: 'extkey_planted' }), at });
    assert.equal(decidedResolution(stop), undefined);
    stop.votes.push({ ...answer(stop, { approver: bob }), at });
    assert.equal(decidedResolution(stop), undefined, 'two people, two choices: no decision');
    const agreed = openStop(2);
    agreed.votes.push({ ...answer(agreed), at }, { ...answer(agreed, { approver: bob }), at });
    assert.equal(decidedResolution(agreed), 'create-again');
  });

  it('a signature binds the run, the stop, its hash and the choice', function () {
    const stop = openStop();
    const adopt = answer(stop, { choice: 'adopt', resource: 'extkey_planted' });
    const signature = signatureBy(alice, (expiresAt) => resolutionStatement(run, adopt, expiresAt));
    const policy = { keys: signersFor([alice, bob]), unsignedAccepted: false };
    const check = (r: Resolution, onRun = run) =>
      refuseSignature(resolutionStatement(onRun, { ...r, signature }), signature, policy, nowMs);
    assert.equal(check(adopt), undefined);
    assert.match(check({ ...adopt, choice: 'abandon', resource: undefined }) ?? '', /not alice/);
    assert.match(check(adopt, { ...run, runId: 'run-2' }) ?? '', /not alice/);
    assert.match(check({ ...adopt, stopHash: 'c'.repeat(64) }) ?? '', /not alice/);
    assert.match(
      refuseSignature(resolutionStatement(run, adopt), undefined, policy, nowMs) ?? '',
      /not signed/,
    );
  });
});
