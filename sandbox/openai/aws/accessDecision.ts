// Decides, as AWS would, whether OpenAI's role may use a customer's KMS key for kms:Encrypt/kms:Decrypt.
// An oracle the product is tested against, so it models only one chain — OpenAI's role → AssumeRole on the
// customer role (with ExternalId) → the role's session calls KMS on the key — with a small policy grammar:
// Effect, Action and Resource with `*`/`?`, Principal as an AWS ARN or account, and StringEquals/StringLike
// on sts:ExternalId. Anything else is reported as unsupported, never guessed.

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  [other: string]: unknown;
}
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}
export interface KmsGrant {
  granteePrincipal: string;
  operations: string[];
}
export interface AwsAccessState {
  vendorRoleArn: string;
  externalId: string;
  customerRole?: { arn: string; trustPolicy: PolicyDocument; policies: PolicyDocument[] };
  key?: { arn: string; state: string; policy?: PolicyDocument; grants: KmsGrant[] };
}
export type KmsAction = 'kms:Encrypt' | 'kms:Decrypt';
export type AccessDecision =
  | { allowed: true; reasons: string[] }
  | {
      allowed: false;
      code: 'AccessDenied' | 'DisabledException' | 'KMSInvalidStateException' | 'NotFoundException';
      reason: string;
    };

export class UnsupportedPolicyElementError extends Error {}

const knownStatementKeys = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);

/** `*` matches any run of characters, `?` exactly one (IAM's wildcard rule for actions and resources). */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];
const accountOf = (arn: string) => arn.split(':')[4] ?? '';

interface Checked {
  statement: PolicyStatement;
  where: string;
}

/** Every statement of a document, after refusing the elements this oracle does not model. */
function statements(
  doc: PolicyDocument | undefined,
  where: string,
  kind: 'trust' | 'identity' | 'key',
): Checked[] {
  if (!doc) return [];
  return list(doc.Statement as never).map((raw, i) => {
    const statement = raw as unknown as PolicyStatement;
    const at = `${where} statement ${statement.Sid ? `"${statement.Sid}"` : `#${i + 1}`}`;
    for (const key of Object.keys(statement)) {
      if (!knownStatementKeys.has(key))
        throw new UnsupportedPolicyElementError(`unsupported policy element ${key} in ${at}`);
    }
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
      throw new UnsupportedPolicyElementError(
        `unsupported policy element Effect=${String(statement.Effect)} in ${at}`,
      );
    }
    if (kind === 'identity' && statement.Principal !== undefined) {
      throw new UnsupportedPolicyElementError(
        `unsupported policy element Principal in ${at} (identity policies have none)`,
      );
    }
    if (kind !== 'trust' && statement.Resource === undefined) {
      throw new UnsupportedPolicyElementError(`unsupported policy element (missing Resource) in ${at}`);
    }
    if (kind !== 'trust' && statement.Condition !== undefined) {
      throw new UnsupportedPolicyElementError(`unsupported policy element Condition in ${at}`);
    }
    return { statement, where: at };
  });
}

/** Principal `{AWS: arn | account root | account id | [...]}`; true when it names `who` or `who`'s account. */
function principalMatches({ statement, where }: Checked, who: string): boolean {
  const principal = statement.Principal as { AWS?: string | string[] } | undefined;
  if (!principal || typeof principal !== 'object' || Object.keys(principal).some((k) => k !== 'AWS')) {
    throw new UnsupportedPolicyElementError(
      `unsupported policy element Principal ${JSON.stringify(principal)} in ${where}`,
    );
  }
  return list(principal.AWS).some((p) => {
    if (p === who) return true;
    const account =
      /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(p)?.[1] ?? (/^\d{12}$/.test(p) ? p : undefined);
    if (account !== undefined) return account === accountOf(who);
    if (/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(p)) return false; // another principal
    throw new UnsupportedPolicyElementError(`unsupported policy element Principal "${p}" in ${where}`);
  });
}

const actionMatches = (c: Checked, action: string) =>
  list(c.statement.Action).some((a) => wildcard(a, action, true));
const resourceMatches = (c: Checked, resource: string) =>
  list(c.statement.Resource).some((r) => wildcard(r, resource, false));

/** Only StringEquals/StringLike on sts:ExternalId (condition keys are case-insensitive, values are not). */
function conditionHolds({ statement, where }: Checked, externalId: string): boolean {
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    if (operator !== 'StringEquals' && operator !== 'StringLike') {
      throw new UnsupportedPolicyElementError(
        `unsupported policy element Condition operator ${operator} in ${where}`,
      );
    }
    for (const [key, values] of Object.entries(entries)) {
      if (key.toLowerCase() !== 'sts:externalid') {
        throw new UnsupportedPolicyElementError(
          `unsupported policy element Condition key ${key} in ${where}`,
        );
      }
      const ok = list(values).some((v) =>
        operator === 'StringLike' ? wildcard(v, externalId, false) : v === externalId,
      );
      if (!ok) return false;
    }
  }
  return true;
}

export function decideAwsKmsAccess(state: AwsAccessState, action: KmsAction): AccessDecision {
  const reasons: string[] = [];
  const deny = (code: 'AccessDenied', reason: string): AccessDecision => ({ allowed: false, code, reason });
  const role = state.customerRole;
  // STS: AssumeRole on a role that does not exist is refused like any other unauthorised AssumeRole.
  if (!role) return deny('AccessDenied', 'the customer role does not exist');

  // STS AssumeRole: the trust policy must allow OpenAI's role (with the ExternalId); an explicit Deny wins.
  const trust = statements(role.trustPolicy, 'trust policy', 'trust').filter(
    (c) =>
      actionMatches(c, 'sts:AssumeRole') &&
      principalMatches(c, state.vendorRoleArn) &&
      conditionHolds(c, state.externalId),
  );
  const trustDeny = trust.find((c) => c.statement.Effect === 'Deny');
  if (trustDeny) return deny('AccessDenied', `${trustDeny.where} denies sts:AssumeRole`);
  const trustAllow = trust.find((c) => c.statement.Effect === 'Allow');
  if (!trustAllow)
    return deny('AccessDenied', 'no trust policy statement lets OpenAI assume the role with its ExternalId');
  reasons.push(`${trustAllow.where} allows sts:AssumeRole with the ExternalId`);

  // KMS: a key that does not exist is NotFound before anything else.
  const key = state.key;
  if (!key) return { allowed: false, code: 'NotFoundException', reason: 'the key does not exist' };

  // Evaluated in AWS's order: explicit Deny anywhere → Allow by key policy, IAM (when delegated) or grant.
  const identity = role.policies.flatMap((doc, i) => statements(doc, `role policy #${i + 1}`, 'identity'));
  const keyPolicy = statements(key.policy, 'key policy', 'key');
  const onKey = (c: Checked) => actionMatches(c, action) && resourceMatches(c, key.arn);
  const identityHits = identity.filter(onKey);
  // In a key policy, Resource "*" means this key.
  const keyHits = keyPolicy.filter(
    (c) => actionMatches(c, action) && resourceMatches(c, key.arn) && principalMatches(c, role.arn),
  );
  const explicitDeny = [...identityHits, ...keyHits].find((c) => c.statement.Effect === 'Deny');
  if (explicitDeny) return deny('AccessDenied', `${explicitDeny.where} denies ${action}`);

  const grant = key.grants.find(
    (g) => g.granteePrincipal === role.arn && g.operations.includes(action.slice('kms:'.length)),
  );
  const sameAccount = accountOf(role.arn) === accountOf(key.arn);
  const keyAllowsRole = keyHits.find(
    (c) => c.statement.Effect === 'Allow' && principalIsExactly(c, role.arn),
  );
  const keyDelegates = keyHits.find((c) => c.statement.Effect === 'Allow');
  const iamAllow = identityHits.find((c) => c.statement.Effect === 'Allow');

  if (grant) {
    reasons.push(`a grant to the role allows ${action.slice(4)}`);
  } else if (keyAllowsRole && sameAccount) {
    reasons.push(`${keyAllowsRole.where} allows ${action} for the role itself`);
  } else if (keyDelegates && iamAllow) {
    // An account-root principal delegates to IAM; across accounts both the key policy and IAM must allow.
    reasons.push(
      `${keyDelegates.where} allows ${action} for the role's account (delegates to IAM)`,
      `${iamAllow.where} allows ${action} on the key`,
    );
  } else {
    return deny('AccessDenied', `no key policy, IAM policy or grant allows ${action} for the role`);
  }

  // KMS: only an Enabled key encrypts or decrypts.
  if (key.state === 'Disabled')
    return { allowed: false, code: 'DisabledException', reason: 'the key is disabled' };
  if (key.state !== 'Enabled')
    return { allowed: false, code: 'KMSInvalidStateException', reason: `the key is ${key.state}` };
  return { allowed: true, reasons };
}

function principalIsExactly({ statement }: Checked, arn: string): boolean {
  return list((statement.Principal as { AWS?: string | string[] }).AWS).includes(arn);
}
