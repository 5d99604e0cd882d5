// The AWS restore as a diff (providers/aws/restoreEdits.ts): undoing a revocation alone gives back the
// snapshot's document exactly; undoing it after another run's change through the same document keeps that
// change; a second restore finds nothing to do.
import assert from 'node:assert/strict';
import {
  addKeyPolicyDeny,
  removeKeyUse,
  removeVendorTrust,
  type PolicyDocument,
} from '../../providers/aws/activities/policyEdits';
import {
  removeRunsKeyPolicyDeny,
  restoreKeyUse,
  restoreVendorTrust,
  trustDenyPrincipals,
} from '../../providers/aws/restoreEdits';

const vendor = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';
const other = 'arn:aws:iam::111122223333:role/ci';
const key1 = 'arn:aws:kms:us-east-1:123456789012:key/1111';
const key2 = 'arn:aws:kms:us-east-1:123456789012:key/2222';
const role1 = 'arn:aws:iam::123456789012:role/openai';
const role2 = 'arn:aws:iam::123456789012:role/other';
const use = ['kms:Encrypt', 'kms:Decrypt'];

describe('AWS restore as a diff against the snapshot', function () {
  it('remove-trust: alone, the trust policy comes back exactly; a statement added since stays; again, nothing', function () {
    const snapshot: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Ci', Effect: 'Allow', Principal: { AWS: other }, Action: 'sts:AssumeRole' },
        { Sid: 'OpenAI', Effect: 'Allow', Principal: { AWS: vendor }, Action: 'sts:AssumeRole' },
      ],
    };
    const revoked = removeVendorTrust(snapshot, [vendor]).document;
    assert.deepEqual(trustDenyPrincipals(revoked), [vendor]);
    const back = restoreVendorTrust(revoked, snapshot, [vendor]);
    assert.deepEqual(back.document, snapshot);
    const later = {
      ...revoked,
      Statement: [
        ...(revoked.Statement as object[]),
        {
          Sid: 'Later',
          Effect: 'Allow',
          Principal: { Service: 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ],
    } as PolicyDocument;
    const kept = restoreVendorTrust(later, snapshot, [vendor]);
    assert.deepEqual(
      (kept.document!.Statement as { Sid: string }[]).map((s) => s.Sid),
      ['Ci', 'OpenAI', 'Later'],
    );
    assert.equal(restoreVendorTrust(back.document!, snapshot, [vendor]).changed, false);
  });

  it('remove-key-permission: key 1 back, key 2 (removed by another run since) stays removed', function () {
    const snapshot: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Key1', Effect: 'Allow', Action: use, Resource: key1 },
        { Sid: 'Key2', Effect: 'Allow', Action: use, Resource: key2 },
      ],
    };
    const afterA = removeKeyUse(snapshot, key1).document!;
    assert.deepEqual(restoreKeyUse(afterA, snapshot, key1).document, snapshot, 'alone: exactly the snapshot');
    const afterB = removeKeyUse(afterA, key2).document; // B removed key 2: no statement left
    assert.equal(afterB, null);
    const back = restoreKeyUse(afterB, snapshot, key1);
    assert.deepEqual(back.document, {
      Version: '2012-10-17',
      Statement: [(snapshot.Statement as object[])[0]],
    });
    assert.equal(restoreKeyUse(back.document, snapshot, key1).changed, false);
  });

  it('remove-key-permission on a statement for both keys, edited by another run since: only key 1’s use is added', function () {
    const snapshot: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'Both', Effect: 'Allow', Action: use, Resource: [key1, key2] }],
    };
    const afterA = removeKeyUse(snapshot, key1).document!;
    assert.deepEqual(restoreKeyUse(afterA, snapshot, key1).document, snapshot);
    const afterB = removeKeyUse(afterA, key2).document;
    const back = restoreKeyUse(afterB, snapshot, key1).document!;
    assert.deepEqual(back.Statement, [{ Sid: 'BothRestored', Effect: 'Allow', Action: use, Resource: key1 }]);
  });

  it('key-policy-deny: the run’s Deny out; if another role was added to it since, only this role comes out', function () {
    const snapshot: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Root',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::123456789012:root' },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    const afterA = addKeyPolicyDeny(snapshot, role1).document;
    assert.deepEqual(removeRunsKeyPolicyDeny(afterA, snapshot, role1).document, snapshot);
    const afterB = addKeyPolicyDeny(afterA, role2).document;
    const back = removeRunsKeyPolicyDeny(afterB, snapshot, role1).document!;
    const deny = (back.Statement as { Sid: string; Principal: { AWS: unknown } }[]).find(
      (s) => s.Sid === 'EkmRevokeOpenAI',
    );
    assert.deepEqual(deny?.Principal, { AWS: role2 }, 'the other role stays denied');
    assert.equal(removeRunsKeyPolicyDeny(back, snapshot, role1).changed, false);
  });
});
