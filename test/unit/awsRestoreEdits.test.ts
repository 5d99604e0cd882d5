// The AWS restore as a diff (providers/aws/restoreEdits.ts): undoing a revocation alone gives back the
// snapshot's document exactly; undoing it after another run's change through the same document keeps that
// change; a second restore finds nothing to do.
import assert from 'node:assert/strict';
import {
  addKeyPolicyDeny,
  removeKeyUse,
  removeVendorTrust,
  runsTrustDenySid,
  statementsOf,
  trustDenySid,
  type PolicyDocument,
} from '../../providers/aws/activities/policyEdits';
import type { AwsAccessSnapshot } from '../../providers/aws/request';
import {
  removeRunsKeyPolicyDeny,
  restoreKeyUse,
  restoreRunsVendorTrust,
  restoreVendorTrust,
  stillRefusedWords,
  trustDenyPrincipals,
} from '../../providers/aws/restoreEdits';

const vendor = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';
const other = 'arn:aws:iam::111122223333:role/ci';
const key1 = 'arn:aws:kms:us-east-1:123456789012:key/1111';
const key2 = 'arn:aws:kms:us-east-1:123456789012:key/2222';
const role1 = 'arn:aws:iam::123456789012:role/openai';
const role2 = 'arn:aws:iam::123456789012:role/other';
const use = ['kms:Encrypt', 'kms:Decrypt'];
/** A role's trust policy before any revocation: a CI role's trust and OpenAI's. */
const trustBefore: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Ci', Effect: 'Allow', Principal: { AWS: other }, Action: 'sts:AssumeRole' },
    { Sid: 'OpenAI', Effect: 'Allow', Principal: { AWS: vendor }, Action: 'sts:AssumeRole' },
  ],
};

describe('AWS restore as a diff against the snapshot', function () {
  it('remove-trust: alone, the trust policy comes back exactly; a statement added since stays; again, nothing', function () {
    const snapshot = trustBefore;
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

  describe('remove-trust by two runs through one role: each restore takes out only its own Deny', function () {
    const before = trustBefore;
    /** A run's snapshot of key `key` taken with the role's trust policy as `trust`. */
    const snapshotOf = (key: string, trust: PolicyDocument): AwsAccessSnapshot => ({
      takenAt: '2026-12-07T12:00:00.000Z',
      key: { arn: key, keyId: key.split('/').pop()!, state: 'Enabled', policy: '{}' },
      role: {
        arn: role1,
        name: 'openai',
        trustPolicy: JSON.stringify(trust),
        inlinePolicies: [],
        attachedPolicies: [],
      },
      grants: [],
      otherKeyPrincipals: [],
      otherKeysTheRoleCanUse: [],
    });
    const sids = (d: PolicyDocument | null) => statementsOf(d ?? {}).map((s) => s.Sid);
    /** A (per-run Deny, or the bare one of a run from before) then B, as the activities run them. */
    function twoRuns(aIsFromBefore: boolean) {
      const snapA = snapshotOf(key1, before);
      const sidA = aIsFromBefore ? trustDenySid : runsTrustDenySid(snapA);
      const afterA = removeVendorTrust(before, [vendor], sidA).document;
      const snapB = snapshotOf(key2, afterA);
      const sidB = runsTrustDenySid(snapB);
      const afterB = removeVendorTrust(afterA, [vendor], sidB).document;
      return { snapA, snapB, sidA, sidB, afterB };
    }

    for (const aIsFromBefore of [false, true])
      it(`A${aIsFromBefore ? ' (recorded before: the bare Sid)' : ''} restored first leaves B’s Deny and says so; then B restored gives back the document as before both; each retry changes nothing`, function () {
        const { snapA, snapB, sidA, sidB, afterB } = twoRuns(aIsFromBefore);
        assert.deepEqual(sids(afterB), ['Ci', sidA, sidB]);
        const restoredA = restoreRunsVendorTrust(afterB, snapA, []);
        assert.equal(restoredA.denySid, sidA);
        assert.deepEqual(
          sids(restoredA.document),
          ['Ci', 'OpenAI', sidB],
          'OpenAI’s trust back, B’s Deny stays',
        );
        assert.deepEqual(restoredA.stillDeniedBy, [sidB]);
        assert.match(
          stillRefusedWords(role1, restoredA.stillDeniedBy),
          new RegExp(`OpenAI stays refused by .*"${sidB}"`),
        );
        const againA = restoreRunsVendorTrust(restoredA.document!, snapA, [vendor]);
        assert.equal(againA.changed, false, 'a retry of A’s restore changes nothing (and B’s Deny stays)');
        const restoredB = restoreRunsVendorTrust(restoredA.document!, snapB, []);
        assert.deepEqual(restoredB.document, before);
        assert.deepEqual(restoredB.stillDeniedBy, []);
        assert.equal(restoreRunsVendorTrust(restoredB.document!, snapB, [vendor]).changed, false);
      });

    for (const aIsFromBefore of [false, true])
      it(`B restored first leaves A’s${aIsFromBefore ? ' bare' : ''} Deny (it was in B’s snapshot) and puts nothing back; then A gives back the document as before both`, function () {
        const { snapA, snapB, sidA, afterB } = twoRuns(aIsFromBefore);
        const restoredB = restoreRunsVendorTrust(afterB, snapB, [vendor]);
        assert.deepEqual(sids(restoredB.document), ['Ci', sidA]);
        assert.deepEqual(restoredB.stillDeniedBy, [sidA]);
        assert.equal(restoreRunsVendorTrust(restoredB.document!, snapB, [vendor]).changed, false);
        const restoredA = restoreRunsVendorTrust(restoredB.document!, snapA, []);
        assert.deepEqual(restoredA.document, before);
      });

    it('a bare Deny the snapshot held was there before the run: the restore never takes it out', function () {
      const snap = snapshotOf(key1, removeVendorTrust(before, [vendor]).document);
      const now = removeVendorTrust(removeVendorTrust(before, [vendor]).document, [vendor]).document;
      const edit = restoreRunsVendorTrust(now, snap, [vendor]);
      assert.equal(edit.changed, false);
      assert.deepEqual(edit.stillDeniedBy, [trustDenySid], 'the bare Deny was there before it: it stays');
    });
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
