// The twin's AWS access oracle, case by case: each row changes one thing from a working baseline and names
// the AWS documentation rule it checks.
import assert from 'node:assert/strict';
import {
  decideAwsKmsAccess,
  UnsupportedPolicyElementError,
  type AwsAccessState,
  type KmsAction,
  type PolicyStatement,
} from '../../sandbox/openai/aws/accessDecision';

const vendor = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';
const account = '111122223333';
const roleArn = `arn:aws:iam::${account}:role/ekm-openai-access`;
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const orgId = 'org-abc123';

const trustStatement = (over: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Sid: 'OpenAI',
  Effect: 'Allow',
  Principal: { AWS: vendor },
  Action: 'sts:AssumeRole',
  Condition: { StringEquals: { 'sts:ExternalId': orgId } },
  ...over,
});
const roleStatement = (over: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Effect: 'Allow',
  Action: ['kms:Encrypt', 'kms:Decrypt'],
  Resource: keyArn,
  ...over,
});
const rootDelegation: PolicyStatement = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${account}:root` },
  Action: 'kms:*',
  Resource: '*',
};

/** Trust for OpenAI with its ExternalId, a role policy on the key, the default key policy (delegates to IAM). */
function baseline(): AwsAccessState {
  return {
    vendorRoleArn: vendor,
    externalId: orgId,
    customerRole: {
      arn: roleArn,
      trustPolicy: { Version: '2012-10-17', Statement: [trustStatement()] },
      policies: [{ Version: '2012-10-17', Statement: [roleStatement()] }],
    },
    key: {
      arn: keyArn,
      state: 'Enabled',
      policy: { Version: '2012-10-17', Statement: [rootDelegation] },
      grants: [],
    },
  };
}

function withTrust(...statements: PolicyStatement[]): AwsAccessState {
  const s = baseline();
  s.customerRole!.trustPolicy = { Statement: statements };
  return s;
}
function withRolePolicies(...statements: PolicyStatement[]): AwsAccessState {
  const s = baseline();
  s.customerRole!.policies = statements.length ? [{ Statement: statements }] : [];
  return s;
}
function withKeyPolicy(
  statements: PolicyStatement[] | undefined,
  over: (s: AwsAccessState) => void = () => {},
): AwsAccessState {
  const s = baseline();
  s.key!.policy = statements ? { Statement: statements } : undefined;
  over(s);
  return s;
}
function withKey(over: Partial<NonNullable<AwsAccessState['key']>>): AwsAccessState {
  const s = baseline();
  s.key = { ...s.key!, ...over };
  return s;
}
const grantOnly = (operations: string[], grantee = roleArn): AwsAccessState => {
  const s = withRolePolicies();
  s.key!.grants = [{ granteePrincipal: grantee, operations }];
  return s;
};
const denyRoleInKeyPolicy: PolicyStatement = {
  Sid: 'RevokeOpenAI',
  Effect: 'Deny',
  Principal: { AWS: roleArn },
  Action: ['kms:Encrypt', 'kms:Decrypt'],
  Resource: '*',
};

type Expected =
  | 'allowed'
  | 'AccessDenied'
  | 'DisabledException'
  | 'KMSInvalidStateException'
  | 'NotFoundException'
  | 'unsupported';
interface Case {
  rule: string;
  what: string;
  state: () => AwsAccessState;
  action?: KmsAction;
  expect: Expected;
}

const cases: Case[] = [
  {
    rule: 'KMS: a key policy delegating to the account lets IAM policies grant access',
    what: 'baseline, Decrypt',
    state: baseline,
    expect: 'allowed',
  },
  {
    rule: 'KMS: a key policy delegating to the account lets IAM policies grant access',
    what: 'baseline, Encrypt',
    state: baseline,
    action: 'kms:Encrypt',
    expect: 'allowed',
  },
  {
    rule: 'STS AssumeRole: the role trust policy must allow the caller',
    what: 'trust statement for OpenAI removed',
    state: () =>
      withTrust({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'sts:AssumeRole',
      }),
    expect: 'AccessDenied',
  },
  {
    rule: 'STS AssumeRole: the sts:ExternalId condition must match the ExternalId passed',
    what: 'wrong ExternalId',
    state: () =>
      withTrust(trustStatement({ Condition: { StringEquals: { 'sts:ExternalId': 'org-other' } } })),
    expect: 'AccessDenied',
  },
  {
    rule: 'IAM condition operators: StringLike matches * and ? wildcards',
    what: 'StringLike ExternalId org-*',
    state: () => withTrust(trustStatement({ Condition: { StringLike: { 'sts:ExternalId': 'org-*' } } })),
    expect: 'allowed',
  },
  {
    rule: 'IAM condition operators: a list of values matches any of them',
    what: 'ExternalId among several',
    state: () =>
      withTrust(trustStatement({ Condition: { StringEquals: { 'sts:ExternalId': ['org-x', orgId] } } })),
    expect: 'allowed',
  },
  {
    rule: 'IAM condition keys are case-insensitive',
    what: 'condition key written sts:externalid',
    state: () => withTrust(trustStatement({ Condition: { StringEquals: { 'sts:externalid': orgId } } })),
    expect: 'allowed',
  },
  {
    rule: 'IAM Principal: an account root ARN means any principal of that account',
    what: 'trust names OpenAI’s account root',
    state: () => withTrust(trustStatement({ Principal: { AWS: 'arn:aws:iam::790389265272:root' } })),
    expect: 'allowed',
  },
  {
    rule: 'IAM Principal: a bare account id means the account root',
    what: 'trust names OpenAI’s account id',
    state: () => withTrust(trustStatement({ Principal: { AWS: '790389265272' } })),
    expect: 'allowed',
  },
  {
    rule: 'IAM Principal: a role in another account is another principal',
    what: 'trust names another account’s role',
    state: () =>
      withTrust(
        trustStatement({ Principal: { AWS: 'arn:aws:iam::999999999999:role/EnterpriseKeyManagement' } }),
      ),
    expect: 'AccessDenied',
  },
  {
    rule: 'IAM policy evaluation: an explicit Deny overrides any Allow',
    what: 'trust policy Deny for OpenAI beside the Allow',
    state: () =>
      withTrust(trustStatement(), trustStatement({ Sid: 'Block', Effect: 'Deny', Condition: undefined })),
    expect: 'AccessDenied',
  },
  {
    rule: 'STS AssumeRole: a role that does not exist cannot be assumed',
    what: 'customer role deleted',
    state: () => ({ ...baseline(), customerRole: undefined }),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS: with a delegating key policy, an IAM policy must allow the action',
    what: 'role policy removed',
    state: () => withRolePolicies(),
    expect: 'AccessDenied',
  },
  {
    rule: 'IAM: an action not allowed is implicitly denied',
    what: 'role policy allows only Decrypt; Encrypt',
    state: () => withRolePolicies(roleStatement({ Action: 'kms:Decrypt' })),
    action: 'kms:Encrypt',
    expect: 'AccessDenied',
  },
  {
    rule: 'IAM: an action not allowed is implicitly denied',
    what: 'role policy allows only Decrypt; Decrypt',
    state: () => withRolePolicies(roleStatement({ Action: 'kms:Decrypt' })),
    expect: 'allowed',
  },
  {
    rule: 'IAM Resource: the statement must match the key ARN',
    what: 'role policy on another key',
    state: () => withRolePolicies(roleStatement({ Resource: keyArn.replace('1234abcd', 'ffffffff') })),
    expect: 'AccessDenied',
  },
  {
    rule: 'IAM Resource: * and ? are wildcards in ARNs',
    what: 'resource arn:aws:kms:*:*:key/*',
    state: () => withRolePolicies(roleStatement({ Resource: 'arn:aws:kms:*:*:key/*' })),
    expect: 'allowed',
  },
  {
    rule: 'IAM Action: kms:* covers every KMS action',
    what: 'action kms:*',
    state: () => withRolePolicies(roleStatement({ Action: 'kms:*' })),
    expect: 'allowed',
  },
  {
    rule: 'IAM Action: ? matches one character, and action names are case-insensitive',
    what: 'action KMS:Decr?pt',
    state: () => withRolePolicies(roleStatement({ Action: 'KMS:Decr?pt' })),
    expect: 'allowed',
  },
  {
    rule: 'IAM Action: * alone covers every action',
    what: 'action *',
    state: () => withRolePolicies(roleStatement({ Action: '*' })),
    expect: 'allowed',
  },
  {
    rule: 'IAM policy evaluation: an explicit Deny in an identity policy overrides the Allow',
    what: 'role policy Deny kms:Decrypt',
    state: () => withRolePolicies(roleStatement(), roleStatement({ Effect: 'Deny', Action: 'kms:Decrypt' })),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS key policy: an explicit Deny for the principal overrides every Allow',
    what: 'key policy Deny for the role',
    state: () => withKeyPolicy([rootDelegation, denyRoleInKeyPolicy]),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS grants: an explicit Deny still overrides access given by a grant',
    what: 'key policy Deny with a grant',
    state: () =>
      withKeyPolicy(
        [rootDelegation, denyRoleInKeyPolicy],
        (s) => (s.key!.grants = [{ granteePrincipal: roleArn, operations: ['Decrypt'] }]),
      ),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS key policy: a statement naming the role allows without any IAM policy',
    what: 'key policy names the role, no role policy',
    state: () =>
      withKeyPolicy(
        [
          {
            Effect: 'Allow',
            Principal: { AWS: roleArn },
            Action: ['kms:Encrypt', 'kms:Decrypt'],
            Resource: '*',
          },
        ],
        (s) => (s.customerRole!.policies = []),
      ),
    expect: 'allowed',
  },
  {
    rule: 'KMS key policy: without a key policy allow (or delegation), IAM policies alone give no access',
    what: 'key policy names someone else only',
    state: () =>
      withKeyPolicy([
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:role/admin` },
          Action: 'kms:*',
          Resource: '*',
        },
      ]),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS grants: a grant allows its operations to the grantee without key policy or IAM allow',
    what: 'grant for Encrypt+Decrypt, no role policy',
    state: () => grantOnly(['Encrypt', 'Decrypt']),
    expect: 'allowed',
  },
  {
    rule: 'KMS grants: a grant allows only the operations it lists',
    what: 'grant for Encrypt only; Decrypt',
    state: () => grantOnly(['Encrypt']),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS grants: a grant allows only its grantee principal',
    what: 'grant to another principal',
    state: () => grantOnly(['Decrypt'], `arn:aws:iam::${account}:role/other`),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS: Encrypt and Decrypt on a disabled key fail with DisabledException',
    what: 'key Disabled',
    state: () => withKey({ state: 'Disabled' }),
    expect: 'DisabledException',
  },
  {
    rule: 'KMS: a key pending deletion cannot be used (KMSInvalidStateException)',
    what: 'key PendingDeletion',
    state: () => withKey({ state: 'PendingDeletion' }),
    expect: 'KMSInvalidStateException',
  },
  {
    rule: 'KMS: a key that does not exist is NotFoundException',
    what: 'key deleted',
    state: () => ({ ...baseline(), key: undefined }),
    expect: 'NotFoundException',
  },
  {
    rule: 'KMS cross-account: both the key policy and the caller’s IAM policy must allow',
    what: 'key in another account delegating to the role’s account',
    state: () =>
      withKeyPolicy(
        [{ ...rootDelegation, Principal: { AWS: `arn:aws:iam::${account}:root` } }],
        (s) =>
          (s.key!.arn = keyArn.replace(account, '444455556666')) &&
          (s.customerRole!.policies = [{ Statement: [roleStatement({ Resource: s.key!.arn })] }]),
      ),
    expect: 'allowed',
  },
  {
    rule: 'KMS cross-account: the key policy must name the other account',
    what: 'key in another account with its own default policy',
    state: () =>
      withKeyPolicy(
        [{ ...rootDelegation, Principal: { AWS: 'arn:aws:iam::444455556666:root' } }],
        (s) => (s.key!.arn = keyArn.replace(account, '444455556666')),
      ),
    expect: 'AccessDenied',
  },
  {
    rule: 'KMS rotation keeps the key ARN, state and policies, so access is unchanged',
    what: 'after rotation (same key, Enabled)',
    state: () => withKey({ state: 'Enabled' }),
    expect: 'allowed',
  },
  {
    rule: 'Oracle scope: NotAction is not modelled',
    what: 'role policy with NotAction',
    state: () =>
      withRolePolicies({ Effect: 'Allow', NotAction: 'kms:Sign', Resource: '*' } as PolicyStatement),
    expect: 'unsupported',
  },
  {
    rule: 'Oracle scope: NotPrincipal is not modelled',
    what: 'key policy with NotPrincipal',
    state: () =>
      withKeyPolicy([
        rootDelegation,
        { Effect: 'Deny', NotPrincipal: { AWS: roleArn }, Action: 'kms:*', Resource: '*' } as PolicyStatement,
      ]),
    expect: 'unsupported',
  },
  {
    rule: 'Oracle scope: Principal "*" is not modelled',
    what: 'trust Principal *',
    state: () => withTrust(trustStatement({ Principal: '*' })),
    expect: 'unsupported',
  },
  {
    rule: 'Oracle scope: only sts:ExternalId conditions are modelled',
    what: 'trust condition on aws:SourceIp',
    state: () => withTrust(trustStatement({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })),
    expect: 'unsupported',
  },
  {
    rule: 'Oracle scope: conditions in key policies are not modelled',
    what: 'key policy with kms:ViaService',
    state: () =>
      withKeyPolicy([
        {
          ...rootDelegation,
          Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
        },
      ]),
    expect: 'unsupported',
  },
];

describe('AWS access oracle (sandbox/openai/aws/accessDecision)', function () {
  it('has at least 30 cases', () => assert.ok(cases.length >= 30));
  for (const c of cases) {
    it(`${c.what} → ${c.expect}  [${c.rule}]`, function () {
      const action = c.action ?? 'kms:Decrypt';
      if (c.expect === 'unsupported') {
        assert.throws(
          () => decideAwsKmsAccess(c.state(), action),
          (err: Error) => {
            assert.ok(err instanceof UnsupportedPolicyElementError);
            assert.match(err.message, /^unsupported policy element /);
            return true;
          },
        );
        return;
      }
      const decision = decideAwsKmsAccess(c.state(), action);
      assert.equal(
        decision.allowed ? 'allowed' : decision.code,
        c.expect,
        decision.allowed ? decision.reasons.join('; ') : decision.reason,
      );
    });
  }
});
