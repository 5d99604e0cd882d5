// The AWS access oracle (sandbox/openai/aws/accessDecision.ts), one row per AWS rule: every row starts
// from a working baseline — OpenAI trusted with its ExternalId, a role policy on the key, the default key
// policy delegating to the account root — and changes one thing.
import assert from 'node:assert/strict';
import {
  decideAwsKmsAccess,
  UnsupportedPolicyElementError,
  type AccessDecision,
  type AwsAccessState,
  type KmsAction,
  type KmsGrant,
  type PolicyStatement,
} from '../../sandbox/openai/aws/accessDecision';

const vendorAccount = '790389265272';
const vendorRoleArn = `arn:aws:iam::${vendorAccount}:role/EnterpriseKeyManagement`;
const externalId = 'org-Ab12Cd34';
const account = '111122223333';
const otherAccount = '444455556666';
const roleArn = `arn:aws:iam::${account}:role/ekm/openai-access`;
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const otherKeyArn = `arn:aws:kms:us-east-1:${account}:key/ffffffff-12ab-34cd-56ef-1234567890ab`;
const crossAccountKeyArn = keyArn.replace(account, otherAccount);

type Full = AwsAccessState & {
  customerRole: NonNullable<AwsAccessState['customerRole']>;
  key: NonNullable<AwsAccessState['key']>;
};

// Statement builders: the baseline statement, with the given fields replaced.
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
const keyStatement = (principal: string, over: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Sid: 'KeyStatement',
  Effect: 'Allow',
  Principal: { AWS: principal },
  Action: 'kms:*',
  Resource: '*',
  ...over,
});
/** The default key policy statement "Enable IAM User Permissions": delegates to IAM in `acct`. */
const rootDelegation = (acct = account) =>
  keyStatement(`arn:aws:iam::${acct}:root`, { Sid: 'Enable IAM User Permissions' });

/** The key policy KMS creates by default (its document-level Id is accepted and ignored). */
function defaultKeyPolicy() {
  const policy = { Version: '2012-10-17', Id: 'key-default-1', Statement: [rootDelegation()] };
  return policy;
}

function baseline(): Full {
  return {
    vendorRoleArn,
    externalId,
    customerRole: {
      arn: roleArn,
      trustPolicy: { Version: '2012-10-17', Statement: [trusts()] },
      policies: [{ Version: '2012-10-17', Statement: [usesKey()] }],
    },
    key: {
      arn: keyArn,
      state: 'Enabled',
      policy: defaultKeyPolicy(),
      grants: [],
    },
  };
}

/** The baseline with one edit applied. */
function changed(edit: (s: Full) => void): AwsAccessState {
  const s = baseline();
  edit(s);
  return s;
}
const withTrust = (...statements: PolicyStatement[]) =>
  changed((s) => (s.customerRole.trustPolicy = { Statement: statements }));
const withRolePolicy = (...statements: PolicyStatement[]) =>
  changed((s) => (s.customerRole.policies = statements.length ? [{ Statement: statements }] : []));
const withKeyPolicy = (...statements: PolicyStatement[]) =>
  changed((s) => (s.key.policy = { Statement: statements }));
const withKeyState = (state: string) => changed((s) => (s.key.state = state));
/** Neither the key policy nor any role policy allows anything: only the grants can. */
const onlyGrants = (...grants: KmsGrant[]) =>
  changed((s) => {
    s.customerRole.policies = [];
    s.key.policy = { Statement: [keyStatement(`arn:aws:iam::${account}:role/KeyAdmin`)] };
    s.key.grants = grants;
  });
/** The key lives in another account; its policy and the role policy on that key are given. */
const crossAccount = (keyPolicy: PolicyStatement[], rolePolicy: PolicyStatement[]) =>
  changed((s) => {
    s.key.arn = crossAccountKeyArn;
    s.key.policy = { Statement: keyPolicy };
    s.customerRole.policies = rolePolicy.length ? [{ Statement: rolePolicy }] : [];
  });
/** Rotation replaces key material only: a fresh read gives the same key ARN, state, policy and grants. */
const afterRotation = () => changed(() => {});
/** A statement with an element outside the interface, as it would arrive from decoded JSON. */
const raw = (statement: Record<string, unknown>) => statement as PolicyStatement;

type Expected = 'allowed' | Extract<AccessDecision, { allowed: false }>['code'] | 'unsupported';
interface Case {
  rule: string;
  description: string;
  state: AwsAccessState;
  action: KmsAction;
  expected: Expected;
  /** for 'unsupported': text the error message must contain (the element and where it is) */
  names?: string;
}

const E = 'kms:Encrypt';
const D = 'kms:Decrypt';

const cases: Case[] = [
  // Baseline and the AssumeRole step.
  {
    rule: 'KMS key policy: a key policy statement whose principal is the account root delegates to IAM policies',
    description: 'baseline: trust + role policy + default key policy',
    state: baseline(),
    action: E,
    expected: 'allowed',
  },
  {
    rule: 'KMS key policy: a key policy statement whose principal is the account root delegates to IAM policies',
    description: 'baseline: trust + role policy + default key policy',
    state: baseline(),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'STS AssumeRole: the role trust policy must allow the caller',
    description: 'trust statement for OpenAI removed (only the account itself is trusted)',
    state: withTrust(trusts({ Principal: { AWS: `arn:aws:iam::${account}:root` }, Condition: undefined })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: "STS AssumeRole: the trust policy's sts:ExternalId condition must match",
    description: 'trust expects another ExternalId',
    state: withTrust(trusts({ Condition: { StringEquals: { 'sts:ExternalId': 'org-Other' } } })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM condition operators: StringEquals compares values case-sensitively',
    description: 'trust ExternalId differs only in case',
    state: withTrust(trusts({ Condition: { StringEquals: { 'sts:ExternalId': externalId.toUpperCase() } } })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM condition operators: StringLike matches * against any run of characters',
    description: 'trust ExternalId StringLike "org-*"',
    state: withTrust(trusts({ Condition: { StringLike: { 'sts:ExternalId': 'org-*' } } })),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM condition operators: StringLike ? matches exactly one character',
    description: 'trust ExternalId StringLike "org-?" (the id is longer)',
    state: withTrust(trusts({ Condition: { StringLike: { 'sts:ExternalId': 'org-?' } } })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM conditions: a list of values is satisfied when any value matches',
    description: 'trust lists two ExternalIds, one of them OpenAI’s',
    state: withTrust(
      trusts({ Condition: { StringEquals: { 'sts:ExternalId': ['org-Other', externalId] } } }),
    ),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM conditions: condition key names are case-insensitive',
    description: 'trust condition key spelt STS:EXTERNALID',
    state: withTrust(trusts({ Condition: { StringEquals: { 'STS:EXTERNALID': externalId } } })),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM Principal: an account root ARN means any principal in that account',
    description: 'trust principal is OpenAI’s account root',
    state: withTrust(trusts({ Principal: { AWS: `arn:aws:iam::${vendorAccount}:root` } })),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM Principal: a bare 12-digit account id means that account’s root',
    description: 'trust principal is OpenAI’s account id',
    state: withTrust(trusts({ Principal: { AWS: [vendorAccount] } })),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM Principal: a principal in another account is not the caller',
    description: 'trust principal is another account’s root',
    state: withTrust(trusts({ Principal: { AWS: `arn:aws:iam::${otherAccount}:root` } })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM policy evaluation: an explicit Deny in any policy overrides any Allow',
    description: 'trust policy also Denies sts:AssumeRole to OpenAI',
    state: withTrust(trusts(), trusts({ Sid: 'Block', Effect: 'Deny', Condition: undefined })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'STS AssumeRole: assuming a role that does not exist is AccessDenied',
    description: 'customer role deleted',
    state: changed((s) => delete (s as AwsAccessState).customerRole),
    action: D,
    expected: 'AccessDenied',
  },
  // The KMS step: key policy, identity policies, wildcards.
  {
    rule: 'KMS key policy: delegation to the account root allows nothing unless an IAM policy allows',
    description: 'role policy removed',
    state: withRolePolicy(),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM policy evaluation: an action no statement allows is implicitly denied',
    description: 'role policy allows only kms:Decrypt; Encrypt asked',
    state: withRolePolicy(usesKey({ Action: 'kms:Decrypt' })),
    action: E,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM policy evaluation: an action a statement allows is allowed',
    description: 'role policy allows only kms:Decrypt; Decrypt asked',
    state: withRolePolicy(usesKey({ Action: 'kms:Decrypt' })),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM Resource: a statement applies only to the resources it names',
    description: 'role policy names another key',
    state: withRolePolicy(usesKey({ Resource: otherKeyArn })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM Resource: * and ? are wildcards within an ARN',
    description: 'role policy resource arn:aws:kms:*:*:key/*',
    state: withRolePolicy(usesKey({ Resource: 'arn:aws:kms:*:*:key/*' })),
    action: E,
    expected: 'allowed',
  },
  {
    rule: 'IAM Resource: ARNs match case-sensitively',
    description: 'role policy names the key id in upper case',
    state: withRolePolicy(usesKey({ Resource: keyArn.toUpperCase().replace('ARN:AWS:KMS', 'arn:aws:kms') })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM Action: kms:* matches every KMS action',
    description: 'role policy action kms:*',
    state: withRolePolicy(usesKey({ Action: 'kms:*' })),
    action: E,
    expected: 'allowed',
  },
  {
    rule: 'IAM Action: ? matches exactly one character',
    description: 'role policy action kms:Decr?pt; Decrypt asked',
    state: withRolePolicy(usesKey({ Action: 'kms:Decr?pt' })),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM Action: ? matches exactly one character',
    description: 'role policy action kms:Decr?pt; Encrypt asked',
    state: withRolePolicy(usesKey({ Action: 'kms:Decr?pt' })),
    action: E,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM Action: * alone matches every action of every service',
    description: 'role policy action *',
    state: withRolePolicy(usesKey({ Action: '*' })),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'IAM Action: action names match case-insensitively',
    description: 'role policy action KMS:ENCRYPT',
    state: withRolePolicy(usesKey({ Action: 'KMS:ENCRYPT' })),
    action: E,
    expected: 'allowed',
  },
  {
    rule: 'IAM policy evaluation: an explicit Deny in any policy overrides any Allow',
    description: 'a second role policy Denies kms:Decrypt on every key',
    state: changed((s) =>
      s.customerRole.policies.push({
        Statement: [usesKey({ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' })],
      }),
    ),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'KMS key policy: an explicit Deny for the principal overrides the delegation and IAM Allow',
    description: 'key policy adds a Deny naming the role',
    state: withKeyPolicy(rootDelegation(), keyStatement(roleArn, { Sid: 'RevokeOpenAI', Effect: 'Deny' })),
    action: E,
    expected: 'AccessDenied',
  },
  {
    rule: 'KMS grants: an explicit Deny in the key policy overrides a grant',
    description: 'key policy Deny naming the role, and a grant for Decrypt',
    state: changed((s) => {
      s.key.policy = { Statement: [rootDelegation(), keyStatement(roleArn, { Effect: 'Deny' })] };
      s.key.grants = [{ granteePrincipal: roleArn, operations: ['Decrypt'] }];
    }),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'IAM Principal: a Deny naming the account root applies to every principal in the account',
    description: 'key policy Denies kms:Decrypt to the role’s account',
    state: withKeyPolicy(rootDelegation(), keyStatement(account, { Effect: 'Deny', Action: 'kms:Decrypt' })),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'KMS key policy: a statement naming the role allows it without any IAM policy',
    description: 'key policy names the role directly; no role policy',
    state: changed((s) => {
      s.key.policy = { Statement: [keyStatement(roleArn, { Action: ['kms:Encrypt', 'kms:Decrypt'] })] };
      s.customerRole.policies = [];
    }),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'KMS key policy: without a key policy allow for the role or its account, IAM policies allow nothing',
    description: 'key policy names only a key administrator; role policy present',
    state: withKeyPolicy(keyStatement(`arn:aws:iam::${account}:role/KeyAdmin`)),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'KMS key policy: without a key policy allow for the role or its account, IAM policies allow nothing',
    description: 'key has no key policy at all; role policy present',
    state: changed((s) => delete s.key.policy),
    action: E,
    expected: 'AccessDenied',
  },
  // Grants.
  {
    rule: 'KMS grants: a grant allows its operations to its grantee, with no key policy or IAM allow',
    description: 'grant for Encrypt and Decrypt; nothing else allows',
    state: onlyGrants({ granteePrincipal: roleArn, operations: ['Encrypt', 'Decrypt'] }),
    action: D,
    expected: 'allowed',
  },
  {
    rule: 'KMS grants: a grant allows only the operations it lists',
    description: 'grant for Encrypt only; Decrypt asked',
    state: onlyGrants({ granteePrincipal: roleArn, operations: ['Encrypt', 'GenerateDataKey'] }),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'KMS grants: a grant allows only its grantee principal',
    description: 'grant to another role',
    state: onlyGrants({ granteePrincipal: `arn:aws:iam::${account}:role/other`, operations: ['Decrypt'] }),
    action: D,
    expected: 'AccessDenied',
  },
  // Key existence and key state.
  {
    rule: 'KMS: Encrypt/Decrypt on a Disabled key fails with DisabledException',
    description: 'key Disabled',
    state: withKeyState('Disabled'),
    action: E,
    expected: 'DisabledException',
  },
  {
    rule: 'KMS: Encrypt/Decrypt on a key pending deletion fails with KMSInvalidStateException',
    description: 'key PendingDeletion',
    state: withKeyState('PendingDeletion'),
    action: D,
    expected: 'KMSInvalidStateException',
  },
  {
    rule: 'KMS: a key in any state other than Enabled cannot encrypt (KMSInvalidStateException)',
    description: 'key PendingImport',
    state: withKeyState('PendingImport'),
    action: E,
    expected: 'KMSInvalidStateException',
  },
  {
    rule: 'Oracle order: authorization is decided before the key state',
    description: 'key Disabled and the role policy removed',
    state: changed((s) => {
      s.key.state = 'Disabled';
      s.customerRole.policies = [];
    }),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'KMS: a key that does not exist answers NotFoundException',
    description: 'key deleted',
    state: changed((s) => delete (s as AwsAccessState).key),
    action: D,
    expected: 'NotFoundException',
  },
  {
    rule: 'KMS key rotation keeps the key ARN, state, policy and grants, so access is unaffected',
    description: 'after rotation: same key ARN, still Enabled, policies unchanged',
    state: afterRotation(),
    action: D,
    expected: 'allowed',
  },
  // Cross-account keys.
  {
    rule: 'KMS cross-account: the key policy must allow the external account and its IAM policy must allow too',
    description: 'key in another account delegating to the role’s account; role policy on that key',
    state: crossAccount(
      [rootDelegation(otherAccount), rootDelegation(account)],
      [usesKey({ Resource: crossAccountKeyArn })],
    ),
    action: E,
    expected: 'allowed',
  },
  {
    rule: 'KMS cross-account: a key policy naming the external role still needs an IAM policy in its account',
    description: 'key in another account naming the role; no role policy',
    state: crossAccount([rootDelegation(otherAccount), keyStatement(roleArn)], []),
    action: D,
    expected: 'AccessDenied',
  },
  {
    rule: 'KMS cross-account: a key policy that trusts only its own account gives another account nothing',
    description: 'key in another account with its default key policy; role policy on that key',
    state: crossAccount([rootDelegation(otherAccount)], [usesKey({ Resource: crossAccountKeyArn })]),
    action: D,
    expected: 'AccessDenied',
  },
  // Elements this oracle does not model: reported, never guessed.
  {
    rule: 'Oracle scope: NotAction is not modelled',
    description: 'role policy statement with NotAction',
    state: withRolePolicy(raw({ Sid: 'X', Effect: 'Allow', NotAction: 'kms:Sign', Resource: '*' })),
    action: D,
    expected: 'unsupported',
    names: 'NotAction in role policy #1 statement "X"',
  },
  {
    rule: 'Oracle scope: NotPrincipal is not modelled',
    description: 'key policy statement with NotPrincipal',
    state: withKeyPolicy(
      rootDelegation(),
      raw({ Effect: 'Deny', NotPrincipal: { AWS: roleArn }, Action: 'kms:*', Resource: '*' }),
    ),
    action: D,
    expected: 'unsupported',
    names: 'NotPrincipal in key policy statement #2',
  },
  {
    rule: 'Oracle scope: the anonymous principal "*" is not modelled',
    description: 'trust principal "*"',
    state: withTrust(trusts({ Principal: '*' })),
    action: D,
    expected: 'unsupported',
    names: 'Principal "*" in trust policy statement "OpenAI"',
  },
  {
    rule: 'Oracle scope: the anonymous principal {"AWS": "*"} is not modelled',
    description: 'trust principal {"AWS": "*"}',
    state: withTrust(trusts({ Principal: { AWS: '*' } })),
    action: D,
    expected: 'unsupported',
    names: 'Principal AWS "*"',
  },
  {
    rule: 'Oracle scope: Service principals are not modelled',
    description: 'key policy statement for a Service principal (even though it is not about the role)',
    state: withKeyPolicy(
      rootDelegation(),
      raw({ ...keyStatement(account), Principal: { Service: 'logs.amazonaws.com' } }),
    ),
    action: D,
    expected: 'unsupported',
    names: 'Principal Service in key policy',
  },
  {
    rule: 'Oracle scope: only the sts:ExternalId condition key is modelled',
    description: 'trust condition on aws:SourceIp',
    state: withTrust(trusts({ Condition: { StringEquals: { 'aws:SourceIp': '203.0.113.0' } } })),
    action: D,
    expected: 'unsupported',
    names: 'Condition key aws:SourceIp',
  },
  {
    rule: 'Oracle scope: only the StringEquals and StringLike condition operators are modelled',
    description: 'trust condition StringNotEquals on sts:ExternalId',
    state: withTrust(trusts({ Condition: { StringNotEquals: { 'sts:ExternalId': 'org-Other' } } })),
    action: D,
    expected: 'unsupported',
    names: 'Condition operator StringNotEquals',
  },
  {
    rule: 'Oracle scope: conditions in key policies are not modelled',
    description: 'default key policy statement with a kms:ViaService condition',
    state: withKeyPolicy({
      ...rootDelegation(),
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
    }),
    action: D,
    expected: 'unsupported',
    names: 'Condition in key policy statement "Enable IAM User Permissions"',
  },
  {
    rule: 'IAM identity policies have no Principal element',
    description: 'role policy statement with a Principal',
    state: withRolePolicy(usesKey({ Principal: { AWS: roleArn } })),
    action: D,
    expected: 'unsupported',
    names: 'Principal in role policy #1 statement "UseKey"',
  },
  {
    rule: 'Oracle scope: a statement without Resource is outside the grammar',
    description: 'role policy statement without Resource',
    state: withRolePolicy(usesKey({ Resource: undefined })),
    action: D,
    expected: 'unsupported',
    names: 'Resource (missing) in role policy #1',
  },
];

describe('AWS access oracle: may OpenAI’s role use the customer key?', function () {
  it('has at least 30 cases', function () {
    assert.ok(cases.length >= 30, `${cases.length} cases`);
  });

  for (const c of cases) {
    it(`${c.description}: ${c.action} → ${c.expected}  [${c.rule}]`, function () {
      if (c.expected === 'unsupported') {
        assert.throws(
          () => decideAwsKmsAccess(c.state, c.action),
          (err: unknown) =>
            err instanceof UnsupportedPolicyElementError &&
            err.message.startsWith('unsupported policy element ') &&
            err.message.includes(c.names ?? ''),
        );
        return;
      }
      const decision = decideAwsKmsAccess(c.state, c.action);
      const outcome = decision.allowed ? 'allowed' : decision.code;
      const why = decision.allowed ? decision.reasons.join('; ') : decision.reason;
      assert.equal(outcome, c.expected, why);
    });
  }

  it('explains an allow step by step: trust, delegation, role policy', function () {
    const decision = decideAwsKmsAccess(baseline(), D);
    assert.deepEqual(decision, {
      allowed: true,
      reasons: [
        'trust policy statement "OpenAI" allows sts:AssumeRole with ExternalId',
        'key policy statement "Enable IAM User Permissions" delegates to IAM (account root)',
        `role policy #1 statement "UseKey" allows kms:Decrypt on ${keyArn}`,
      ],
    });
  });
});
