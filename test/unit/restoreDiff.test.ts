// The diff a restore plan shows approvers: a line diff of each document, and per method what comes back.
import assert from 'node:assert/strict';
import { lineDiff } from '../../common/lineDiff';
import { restoreDiff } from '../../providers/restoreDiff';
import type { RevocationBaseline, RevokeKeyRequest } from '../../providers/requests';
import type { AwsAccessSnapshot } from '../../providers/aws/request';

const snapshot = (over: Partial<AwsAccessSnapshot> = {}): AwsAccessSnapshot => ({
  takenAt: '2026-12-01T00:00:00.000Z',
  key: { arn: 'arn:aws:kms:us-east-1:1:key/k', keyId: 'k', state: 'Enabled', policy: '{"Statement":[]}' },
  role: {
    arn: 'arn:aws:iam::1:role/r',
    name: 'r',
    trustPolicy: '{}',
    inlinePolicies: [],
    attachedPolicies: [],
  },
  grants: [],
  otherKeyPrincipals: [],
  otherKeysTheRoleCanUse: [],
  ...over,
});

describe('restore diff', function () {
  it('marks kept, removed and added lines', function () {
    assert.deepEqual(lineDiff(['a', 'b', 'c'], ['a', 'c', 'd']), ['  a', '- b', '  c', '+ d']);
  });

  it('revoke-grant: the snapshot’s grants missing now are added, present ones kept', function () {
    const grant = { grantId: 'g1', granteePrincipal: 'arn:aws:iam::1:role/r', operations: ['Decrypt'] };
    const now = snapshot();
    const [diff] = restoreDiff(
      { provider: 'aws', method: 'revoke-grant' } as unknown as RevokeKeyRequest,
      snapshot({ grants: [grant] }),
      { access: now } as unknown as RevocationBaseline,
    );
    assert.match(
      diff!.document,
      /^grants on arn:aws:kms:\S+ to arn:aws:iam::1:role\/r \(- now, \+ after the restore\)$/,
    );
    assert.deepEqual(diff!.lines, ['+ grant to arn:aws:iam::1:role/r: Decrypt']);
  });

  it('disable-key: Disabled now, Enabled after', function () {
    const now = snapshot({ key: { ...snapshot().key, state: 'Disabled' } });
    const [diff] = restoreDiff(
      { provider: 'aws', method: 'disable-key' } as unknown as RevokeKeyRequest,
      snapshot(),
      { access: now } as unknown as RevocationBaseline,
    );
    assert.deepEqual(diff!.lines, ['- Disabled', '+ Enabled']);
  });
});
