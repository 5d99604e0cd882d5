// The pure policy edits behind the AWS revocation methods (providers/aws/activities/policyEdits.ts): each edit does
// exactly its change, leaves every other statement alone, is a fixed point (applied to its own output it
// changes nothing), and writes documents the sandbox's access oracle reads and decides as AWS would.
import assert from 'node:assert/strict';
import {
  addKeyPolicyDeny,
  allowsKeyUse,
  decodePolicyText,
  keyPolicyDenySid,
  keysAllowedBy,
  parsePolicy,
  principalsAllowedBy,
  removeKeyUse,
  isTrustDenySid,
  removeVendorTrust,
  runsTrustDenySid,
  samePolicy,
  statementsOf,
  trustDenySid,
  type PolicyDocument,
  type PolicyStatement,
} from '../../providers/aws/activities/policyEdits';
import {
  decideAwsKmsAccess,
  type AwsAccessState,
  type PolicyDocument as OraclePolicy,
} from '../../sandbox/openai/aws/accessDecision';
import { snapshotSha256 } from '../../activities/evidence/keptSnapshot';

const vendorRoleArn = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';
const externalId = 'org-Ab12Cd34';
const account = '111122223333';
const roleArn = `arn:aws:iam::${account}:role/ekm/openai-access`;
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const otherKeyArn = `arn:aws:kms:us-east-1:${account}:key/ffffffff-12ab-34cd-56ef-1234567890ab`;

const doc = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});
const trusts = (over: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Sid: 'OpenAI',
  Effect: 'Allow',
  Principal: { AWS: vendorRoleArn },
  Action: 'sts:AssumeRole',
  Condition: { StringEquals: { 'sts:ExternalId': externalId } },
  ...over,
});
const usesKey = (over: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Sid: 'UseKey',
  Effect: 'Allow',
  Action: ['kms:Encrypt', 'kms:Decrypt'],
  Resource: keyArn,
  ...over,
});
const defaultKeyPolicy = (): PolicyDocument => ({
  Version: '2012-10-17',
  Id: 'key-default-1',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
});

/** The oracle's verdict for OpenAI on the key, with the given documents and no grant. */
function oracle(parts: { trust?: PolicyDocument; role?: PolicyDocument[]; key?: PolicyDocument }) {
  const state: AwsAccessState = {
    vendorRoleArn,
    externalId,
    customerRole: {
      arn: roleArn,
      trustPolicy: (parts.trust ?? doc(trusts())) as OraclePolicy,
      policies: (parts.role ?? [doc(usesKey())]) as OraclePolicy[],
    },
    key: {
      arn: keyArn,
      state: 'Enabled',
      policy: (parts.key ?? defaultKeyPolicy()) as OraclePolicy,
      grants: [],
    },
  };
  return decideAwsKmsAccess(state, 'kms:Decrypt');
}

describe('AWS policy edits', function () {
  describe('reading documents', function () {
    it('decodes URL-encoded IAM documents and leaves plain JSON as it is', function () {
      const text = JSON.stringify(doc(trusts()));
      assert.equal(decodePolicyText(encodeURIComponent(text)), text);
      assert.equal(decodePolicyText(`  ${text}\n`), text);
      assert.deepEqual(parsePolicy(encodeURIComponent(text)), doc(trusts()));
    });

    it('compares documents by meaning, not by key order or whitespace', function () {
      const a =
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "x", "Resource": "*"}]}';
      const b = '{"Statement":[{"Resource":"*","Action":"x","Effect":"Allow"}],"Version":"2012-10-17"}';
      assert.ok(samePolicy(a, b));
      assert.ok(!samePolicy(a, b.replace('"x"', '"y"')));
    });
  });

  describe('remove-trust', function () {
    it('replaces the statement trusting OpenAI with an explicit Deny, which the oracle reads as AccessDenied', function () {
      assert.equal(oracle({}).allowed, true);
      const edit = removeVendorTrust(doc(trusts()), [vendorRoleArn]);
      assert.equal(edit.changed, true);
      assert.deepEqual(statementsOf(edit.document), [
        { Sid: trustDenySid, Effect: 'Deny', Principal: { AWS: vendorRoleArn }, Action: 'sts:AssumeRole' },
      ]);
      const decision = oracle({ trust: edit.document });
      assert.equal(decision.allowed, false);
      assert.match(JSON.stringify(decision), new RegExp(trustDenySid));
    });

    it('is a fixed point: applied again it changes nothing', function () {
      const once = removeVendorTrust(doc(trusts()), [vendorRoleArn]);
      const twice = removeVendorTrust(once.document, [vendorRoleArn]);
      assert.equal(twice.changed, false);
      assert.deepEqual(twice.document, once.document);
    });

    it('keeps other principals of a shared statement and every other statement, in place', function () {
      const admin = `arn:aws:iam::${account}:role/Admin`;
      const service: PolicyStatement = {
        Sid: 'Lambda',
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
      };
      const edit = removeVendorTrust(doc(service, trusts({ Principal: { AWS: [vendorRoleArn, admin] } })), [
        vendorRoleArn,
      ]);
      assert.deepEqual(statementsOf(edit.document), [
        service,
        trusts({ Principal: { AWS: admin } }),
        { Sid: trustDenySid, Effect: 'Deny', Principal: { AWS: vendorRoleArn }, Action: 'sts:AssumeRole' },
      ]);
      assert.match(
        edit.changes.join('\n'),
        /removed .*EnterpriseKeyManagement from trust statement "OpenAI"/,
      );
    });

    it("also removes OpenAI's whole account (root ARN or bare id), which includes OpenAI's role", function () {
      for (const whole of ['arn:aws:iam::790389265272:root', '790389265272']) {
        const edit = removeVendorTrust(doc(trusts({ Principal: { AWS: whole } })), [vendorRoleArn]);
        assert.equal(statementsOf(edit.document).length, 1);
        assert.equal(statementsOf(edit.document)[0]!.Effect, 'Deny');
      }
    });

    it('puts the Deny where the removed Allow was, and leaves a Deny it did not write alone', function () {
      const other: PolicyStatement = {
        Sid: 'Other',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'sts:AssumeRole',
      };
      const theirDeny: PolicyStatement = {
        Effect: 'Deny',
        Principal: { AWS: vendorRoleArn },
        Action: 'sts:TagSession',
      };
      const edit = removeVendorTrust(doc(trusts(), other, theirDeny), [vendorRoleArn]);
      assert.deepEqual(
        statementsOf(edit.document).map((s) => s.Sid ?? s.Action),
        [trustDenySid, 'Other', 'sts:TagSession'],
      );
    });

    it('adds the Deny when no statement trusted OpenAI, and completes a Deny naming too few principals', function () {
      const other = doc({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'sts:AssumeRole',
      });
      const added = removeVendorTrust(other, [vendorRoleArn]);
      assert.equal(added.changed, true);
      assert.match(added.changes.join(), /added trust statement/);
      const second = 'arn:aws:iam::790389265272:role/Other';
      const completed = removeVendorTrust(added.document, [vendorRoleArn, second]);
      assert.equal(completed.changed, true);
      assert.deepEqual(statementsOf(completed.document)[1]!.Principal, { AWS: [vendorRoleArn, second] });
    });

    describe("each run's own Deny", function () {
      const snapshotOf = (keyId: string) => ({
        takenAt: '2026-12-07T12:00:00.000Z',
        key: { arn: `arn:aws:kms:us-east-1:${account}:key/${keyId}`, keyId, state: 'Enabled', policy: '{}' },
        undefinedFieldsAreDropped: undefined,
      });
      const sidA = runsTrustDenySid(snapshotOf('a'));
      const sidB = runsTrustDenySid(snapshotOf('b'));

      it('is named by the snapshot the run kept: an IAM Sid ([A-Za-z0-9]), the same for the same snapshot, another for another', function () {
        assert.match(sidA, /^EkmRevokedOpenAI[0-9a-f]{16}$/);
        assert.ok(isTrustDenySid(sidA) && isTrustDenySid(trustDenySid));
        assert.ok(!isTrustDenySid('EkmRevokedOpenAIx') && !isTrustDenySid('OpenAI'));
        assert.equal(runsTrustDenySid(JSON.parse(JSON.stringify(snapshotOf('a')))), sidA);
        assert.notEqual(sidA, sidB);
        // The tag is the head of the snapshot's hash the run's signed evidence records.
        assert.equal(
          `sha256:${sidA.slice(trustDenySid.length)}`,
          snapshotSha256(snapshotOf('a')).slice(0, 23),
        );
      });

      it("adds this run's Deny beside another run's (bare or per-run): both stand, a retry changes nothing, and the oracle refuses", function () {
        for (const other of [trustDenySid, sidA]) {
          const afterA = removeVendorTrust(
            doc(trusts(), {
              Sid: 'Ci',
              Effect: 'Allow',
              Principal: { AWS: roleArn },
              Action: 'sts:AssumeRole',
            }),
            [vendorRoleArn],
            other,
          );
          const afterB = removeVendorTrust(afterA.document, [vendorRoleArn], sidB);
          assert.equal(afterB.changed, true, 'B holds a Deny of its own even though A took the trust');
          assert.deepEqual(
            statementsOf(afterB.document).map((s) => s.Sid),
            [other, sidB, 'Ci'],
            "B's Deny goes right after A's",
          );
          assert.match(
            afterB.changes.join(),
            new RegExp(`added trust statement "${sidB}".*beside "${other}"`),
          );
          assert.equal(removeVendorTrust(afterB.document, [vendorRoleArn], sidB).changed, false);
          assert.equal(oracle({ trust: afterB.document }).allowed, false);
        }
      });
    });

    it('refuses to run without a vendor principal', function () {
      assert.throws(() => removeVendorTrust(doc(trusts()), []), /no vendor principal/);
    });
  });

  describe('remove-key-permission', function () {
    it('drops a statement left with no action and the policy left with no statement', function () {
      const edit = removeKeyUse(doc(usesKey()), keyArn);
      assert.equal(edit.changed, true);
      assert.equal(edit.document, null);
      assert.equal(oracle({ role: [] }).allowed, false);
      assert.equal(removeKeyUse(doc(), keyArn).changed, false);
    });

    it('drops only Encrypt and Decrypt, keeping the other actions of the statement', function () {
      const edit = removeKeyUse(
        doc(usesKey({ Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'] })),
        keyArn,
      );
      assert.deepEqual(edit.document, doc(usesKey({ Action: ['kms:DescribeKey'] })));
      assert.equal(oracle({ role: [edit.document!] }).allowed, false);
      assert.equal(removeKeyUse(edit.document!, keyArn).changed, false, 'a fixed point');
    });

    it('matches action names case-insensitively, as IAM does', function () {
      const edit = removeKeyUse(doc(usesKey({ Action: ['KMS:encrypt', 'kms:DECRYPT'] })), keyArn);
      assert.equal(edit.document, null);
    });

    it('splits a statement that also names another key, which keeps every action', function () {
      const edit = removeKeyUse(
        doc(
          usesKey({
            Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
            Resource: [keyArn, otherKeyArn],
          }),
        ),
        keyArn,
      );
      assert.deepEqual(statementsOf(edit.document!), [
        usesKey({ Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], Resource: [otherKeyArn] }),
        usesKey({ Sid: 'UseKeyWithoutKeyUse', Action: ['kms:DescribeKey'], Resource: [keyArn] }),
      ]);
      assert.equal(oracle({ role: [edit.document!] }).allowed, false);
      assert.deepEqual(allowsKeyUse(edit.document!, otherKeyArn), [
        'statement "UseKey" (kms:Encrypt, kms:Decrypt)',
      ]);
      assert.equal(removeKeyUse(edit.document!, keyArn).changed, false, 'a fixed point');
    });

    it('drops the actions from a "*" or wildcard resource, and says other keys lose them too', function () {
      for (const Resource of ['*', `arn:aws:kms:us-east-1:${account}:key/*`]) {
        const edit = removeKeyUse(doc(usesKey({ Resource })), keyArn);
        assert.equal(edit.document, null);
        assert.match(edit.changes.join(), /also matches other keys/);
      }
    });

    it('leaves statements on other keys, Deny statements and other services alone', function () {
      const kept = doc(
        usesKey({ Resource: otherKeyArn }),
        usesKey({ Sid: 'NoKms', Effect: 'Deny', Resource: keyArn }),
        { Sid: 'S3', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      );
      const edit = removeKeyUse(kept, keyArn);
      assert.equal(edit.changed, false);
      assert.equal(edit.document, kept);
    });

    it('reports a wildcard or NotAction that allows the key as a blocker instead of guessing', function () {
      for (const over of [
        { Action: 'kms:*' },
        { Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:Enc*'] },
        { Action: undefined, NotAction: 'kms:ScheduleKeyDeletion' },
      ]) {
        const edit = removeKeyUse(doc(usesKey(over)), keyArn);
        assert.equal(edit.blockers.length, 1, JSON.stringify(over));
        assert.equal(edit.changed, false);
      }
    });

    it('finds what allows the key in any form (for managed policies and the snapshot)', function () {
      assert.deepEqual(allowsKeyUse(doc(usesKey({ Action: 'kms:*', Resource: '*' })), keyArn), [
        'statement "UseKey" (kms:Encrypt, kms:Decrypt)',
      ]);
      assert.deepEqual(allowsKeyUse(doc(usesKey({ Resource: otherKeyArn })), keyArn), []);
      assert.deepEqual(allowsKeyUse(doc(usesKey({ Effect: 'Deny' })), keyArn), []);
    });
  });

  describe('key-policy-deny', function () {
    it('adds a Deny for the role that the oracle reads as AccessDenied, the rest unchanged', function () {
      const edit = addKeyPolicyDeny(defaultKeyPolicy(), roleArn);
      assert.equal(edit.changed, true);
      const statements = statementsOf(edit.document);
      assert.deepEqual(statements[0], statementsOf(defaultKeyPolicy())[0]);
      assert.deepEqual(statements[1], {
        Sid: keyPolicyDenySid,
        Effect: 'Deny',
        Principal: { AWS: roleArn },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
      });
      assert.equal(edit.document.Id, 'key-default-1');
      const decision = oracle({ key: edit.document });
      assert.equal(decision.allowed, false);
      assert.match(JSON.stringify(decision), new RegExp(keyPolicyDenySid));
    });

    it('is a fixed point, and adds a second role to its own statement', function () {
      const once = addKeyPolicyDeny(defaultKeyPolicy(), roleArn);
      assert.equal(addKeyPolicyDeny(once.document, roleArn).changed, false);
      const other = `arn:aws:iam::${account}:role/Other`;
      const both = addKeyPolicyDeny(once.document, other);
      assert.equal(both.changed, true);
      assert.equal(statementsOf(both.document).length, 2);
      assert.deepEqual(statementsOf(both.document)[1]!.Principal, { AWS: [roleArn, other] });
    });
  });

  describe('the snapshot’s blast radius', function () {
    it('names every principal the key policy allows, except the role', function () {
      const policy = doc(
        ...statementsOf(defaultKeyPolicy()),
        {
          Effect: 'Allow',
          Principal: { AWS: [roleArn, `arn:aws:iam::${account}:role/App`] },
          Action: 'kms:Decrypt',
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Principal: { Service: 'logs.amazonaws.com' },
          Action: 'kms:Encrypt',
          Resource: '*',
        },
        {
          Effect: 'Deny',
          Principal: { AWS: `arn:aws:iam::${account}:role/Denied` },
          Action: 'kms:*',
          Resource: '*',
        },
      );
      assert.deepEqual(principalsAllowedBy(policy, roleArn), [
        `arn:aws:iam::${account}:root`,
        `arn:aws:iam::${account}:role/App`,
        'logs.amazonaws.com',
      ]);
    });

    it('names every KMS resource a role policy allows Encrypt or Decrypt on', function () {
      const policy = doc(
        usesKey({ Resource: [keyArn, otherKeyArn] }),
        { Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:eu-west-1:${account}:key/*` },
        { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket' },
        { Effect: 'Allow', Action: '*', Resource: ['arn:aws:s3:::bucket', '*'] },
        { Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' },
      );
      assert.deepEqual(keysAllowedBy(policy), [
        keyArn,
        otherKeyArn,
        `arn:aws:kms:eu-west-1:${account}:key/*`,
        '*',
      ]);
    });
  });
});
