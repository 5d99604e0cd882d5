// The fleet's pure parts: the Merkle list a fleet approval signs (every child's leaf proves its way to the
// root, an altered one does not), the cover check's refusals, and the fleet file's validation naming the
// entry and the field.
import assert from 'node:assert/strict';
import {
  fleetCovers,
  fleetGateHashOf,
  fleetLeafOf,
  merkleRoot,
  refuseFleetCover,
  rootFromPath,
  type FleetChildPlan,
} from '../../common/fleetApproval';
import { describeFleetIssues, revokeFleetInput } from '../../workflows/fleet/request';

const child = (i: number): FleetChildPlan => ({
  workflowId: `ekm-key:k${i}`,
  planHash: String(i % 10).repeat(64),
  actions: [{ do: 'revoke-access', cloud: 'aws', method: 'disable-key', keyArn: `k${i}`, roleArn: 'r' }],
});
const fleet = { workflowId: 'ekm-fleet:CHG-1:x', runId: 'run-1' };

describe('fleet approval: the signed list', function () {
  for (const size of [1, 2, 3, 4, 5, 7, 8, 9, 33]) {
    it(`${size} children: every child's leaf and path lead to the root the gate signs`, function () {
      const children = Array.from({ length: size }, (_, i) => child(i));
      const covers = fleetCovers(fleet, children);
      const root = merkleRoot(children.map(fleetLeafOf));
      for (const [i, cover] of covers.entries()) {
        assert.equal(cover.root, root);
        assert.equal(rootFromPath(fleetLeafOf(children[i]!), cover.path), root);
        const hash = fleetGateHashOf(cover, 'revoke', false);
        assert.equal(
          refuseFleetCover(cover, 'fleet-revoke-1', hash, 'revoke', false, {
            workflowId: children[i]!.workflowId,
            runId: 'r',
          }),
          undefined,
        );
      }
    });
  }

  const children = [child(1), child(2), child(3)];
  const [first, second] = fleetCovers(fleet, children) as [
    ReturnType<typeof fleetCovers>[0],
    ReturnType<typeof fleetCovers>[0],
  ];
  const hash = fleetGateHashOf(first, 'revoke', false);
  const run = { workflowId: 'ekm-key:k1', runId: 'r' };

  it('refuses another child’s entry presented by this run', function () {
    assert.match(
      refuseFleetCover(second, 'g', hash, 'revoke', false, run) ?? '',
      /lists ekm-key:k2, not this run ekm-key:k1/,
    );
  });
  it('refuses an entry altered after the vote (another workflow id, plan or action)', function () {
    for (const entry of [
      { ...second.entry, workflowId: 'ekm-key:k1' },
      { ...first.entry, planHash: 'f'.repeat(64) },
      {
        ...first.entry,
        actions: [...first.entry.actions, { do: 'rotate-key' as const, cloud: 'aws', keyArn: 'k1' }],
      },
    ])
      assert.match(
        refuseFleetCover({ ...first, entry }, 'g', hash, 'revoke', false, run) ?? '',
        /is not in the list the approval signs/,
      );
  });
  it('refuses a plan the run acts on that is not the listed one (drift)', function () {
    assert.match(
      refuseFleetCover({ ...first, actsOn: 'e'.repeat(64) }, 'g', hash, 'revoke', false, run) ?? '',
      /approves plan 111111111111… for ekm-key:k1, but the run acts on plan eeeeeeeeeeee…/,
    );
  });
  it('refuses the cover under another kind, break-glass, fleet run or list size', function () {
    assert.match(
      refuseFleetCover(first, 'g', hash, 'archive', false, run) ?? '',
      /were altered after the vote/,
    );
    assert.match(
      refuseFleetCover(first, 'g', hash, 'revoke', true, run) ?? '',
      /were altered after the vote/,
    );
    assert.match(
      refuseFleetCover({ ...first, fleet: { ...fleet, runId: 'run-2' } }, 'g', hash, 'revoke', false, run) ??
        '',
      /were altered after the vote/,
    );
    assert.match(
      refuseFleetCover({ ...first, count: 2 }, 'g', hash, 'revoke', false, run) ?? '',
      /were altered after the vote/,
    );
  });
});

describe('fleet file', function () {
  const aws = {
    provider: 'aws',
    keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    roleArn: 'arn:aws:iam::111122223333:role/openai-ekm',
    method: 'key-policy-deny',
    externalKeyId: 'extkey_abc',
    projectIds: ['proj_a'],
    probes: [{ projectId: 'proj_a', kind: 'file', id: 'file-abc' }],
  };
  const top = { requester: 'rita@example.com', reason: 'leak', changeTicket: 'CHG-18' };

  it('takes each entry as its run would, the fleet’s fields filled in', function () {
    const parsed = revokeFleetInput.parse({ ...top, keys: [aws] });
    assert.equal(parsed.concurrency, 4);
    assert.equal(parsed.requests[0]!.requester, 'rita@example.com');
    assert.equal(parsed.requests[0]!.changeTicket, 'CHG-18');
    assert.equal(parsed.requests[0]!.replace, true);
  });

  it('names the entry and the field of every error', function () {
    const parsed = revokeFleetInput.safeParse({
      ...top,
      concurrency: 0,
      keys: [
        aws,
        { ...aws, roleArn: 'arn:aws:iam::999:role/x' },
        { ...aws, requester: 'eve@example.com' },
        'nope',
      ],
    });
    assert.ok(!parsed.success);
    const text = describeFleetIssues(parsed.error);
    assert.match(text, /^concurrency: must be at least 1$/m);
    assert.match(text, /^keys\[1\]\.roleArn: /m);
    assert.match(text, /^keys\[2\]\.requester: is the fleet’s/m);
    assert.match(text, /^keys\[3\]: must be an object/m);
  });

  it('refuses a planOnly or signature in an entry', function () {
    const parsed = revokeFleetInput.safeParse({ ...top, keys: [aws, { ...aws, planOnly: true }] });
    assert.ok(!parsed.success);
    assert.match(describeFleetIssues(parsed.error), /^keys\[1\]\.planOnly: is set by the command/m);
  });

  it('refuses the same key twice', function () {
    const parsed = revokeFleetInput.safeParse({ ...top, keys: [aws, { ...aws, method: 'disable-key' }] });
    assert.ok(!parsed.success);
    assert.match(describeFleetIssues(parsed.error), /^keys\[1\]: names the same key as keys\[0\]/m);
  });
});
