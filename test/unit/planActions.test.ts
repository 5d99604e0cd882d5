// What an approval authorises, without a server: the actions each runbook's plan lists, the gate hash that
// commits to them, and the configuration of break-glass's reach.
import assert from 'node:assert/strict';
import { actionKey, gateHashOf, snapshotId } from '../../common/planActions';
import { type PlanAction } from '../../providers/planActions';
import { deletionActions, followUpActions, revocationActions } from '../../providers/runbookActions';
import { awsRevokeKeyInput } from '../../providers/aws/request';
import { parseWorkerConfig } from '../../worker/config';

const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const roleArn = 'arn:aws:iam::111122223333:role/openai-ekm';
const request = awsRevokeKeyInput.parse({
  provider: 'aws',
  keyArn,
  roleArn,
  method: 'key-policy-deny',
  externalKeyId: 'extkey_1',
  projectIds: ['proj_a', 'proj_b'],
  probes: [{ projectId: 'proj_a', kind: 'file', id: 'file-1' }],
  requester: 'rita@example.com',
  reason: 'test',
  changeTicket: 'CHG-1',
  deleteAfterDays: 30,
});

describe('plan actions', function () {
  it('a revocation approves its one revoke; the archive gate its archives and the run’s replacement', function () {
    assert.deepEqual(revocationActions(request), [
      { do: 'revoke-access', cloud: 'aws', method: 'key-policy-deny', keyArn, roleArn },
    ]);
    const actions = followUpActions(request, '0123456789abcdef', ['proj_a', 'proj_b'], 'org-1');
    assert.deepEqual(
      actions.map((a) => a.do),
      [
        'archive-project',
        'archive-project',
        'create-replacement-key',
        'grant-openai-access',
        'register-external-key',
        'create-project',
        'create-project',
      ],
    );
    assert.deepEqual(actions[2], {
      do: 'create-replacement-key',
      cloud: 'aws',
      replaces: keyArn,
      owner: '0123456789abcdef',
    });
    assert.deepEqual(deletionActions(request), [
      { do: 'schedule-key-deletion', cloud: 'aws', keyArn, days: 30 },
    ]);
    assert.deepEqual(followUpActions({ ...request, replace: false }, 't', ['proj_a'], 'org-1').length, 2);
  });

  it('the gate hash commits to plans, actions, kind and break-glass; actions compare field by field', function () {
    const actions: PlanAction[] = revocationActions(request);
    const base = gateHashOf({ plans: ['a'.repeat(64)], actions }, 'revoke', false);
    for (const other of [
      gateHashOf({ plans: ['b'.repeat(64)], actions }, 'revoke', false),
      gateHashOf({ plans: ['a'.repeat(64)], actions: [] }, 'revoke', false),
      gateHashOf({ plans: ['a'.repeat(64)], actions }, 'archive', false),
      gateHashOf({ plans: ['a'.repeat(64)], actions }, 'revoke', true),
    ])
      assert.notEqual(other, base);
    assert.equal(
      actionKey({ do: 'archive-project', projectId: 'p', externalKeyId: 'e' }),
      actionKey({ externalKeyId: 'e', projectId: 'p', do: 'archive-project' } as PlanAction),
    );
    assert.equal(snapshotId({ b: 1, a: 2 }), snapshotId({ a: 2, b: 1 }));
  });
});

describe('break-glass reach (approvals.breakGlass.gates)', function () {
  const gates = {
    revoke: { approvers: ['alice@example.com'] },
    archive: { approvers: ['alice@example.com'] },
    deletion: { approvers: ['alice@example.com'] },
    restore: { approvers: ['alice@example.com'] },
    rotate: { approvers: ['alice@example.com'] },
  };
  // Judged as a sandbox worker's: on loopback only.
  const sandbox = {
    sandbox: true,
    aws: { endpoint: 'http://127.0.0.1:5000' },
    openai: { baseUrl: 'http://127.0.0.1:5065/v1' },
  };

  it('covers the revoke gate only unless the configuration lists more', function () {
    const config = parseWorkerConfig({
      ...sandbox,
      approvals: { gates, breakGlass: { approvers: ['oncall@example.com'] } },
    });
    assert.deepEqual(config.approvals.breakGlass?.gates, ['revoke']);
    const wider = parseWorkerConfig({
      ...sandbox,
      approvals: { gates, breakGlass: { approvers: ['oncall@example.com'], gates: ['revoke', 'restore'] } },
    });
    assert.deepEqual(wider.approvals.breakGlass?.gates, ['revoke', 'restore']);
  });

  it('refuses a gate kind it does not know, and an empty list, naming the field', function () {
    assert.throws(
      () =>
        parseWorkerConfig({
          ...sandbox,
          approvals: { gates, breakGlass: { approvers: ['oncall@example.com'], gates: ['archiv'] } },
        }),
      /approvals\.breakGlass\.gates\.0: must be a gate kind: revoke, archive, deletion, restore, rotate/,
    );
    assert.throws(
      () =>
        parseWorkerConfig({
          ...sandbox,
          approvals: { gates, breakGlass: { approvers: ['oncall@example.com'], gates: [] } },
        }),
      /approvals\.breakGlass\.gates: must list at least one gate/,
    );
  });
});
