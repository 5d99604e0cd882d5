// Decides, the way AWS would, whether OpenAI's role may call kms:Encrypt / kms:Decrypt on a customer's key.
// It is an oracle the product is tested against, so it models one chain only — OpenAI's role →
// sts:AssumeRole (with ExternalId) on the customer role → that role's session calls KMS on the key —
// and a deliberately small policy grammar. Anything outside the grammar throws UnsupportedPolicyElementError:
// the oracle never guesses an allow or a deny.
//
// Order of evaluation (AWS checks authorization and key state together; the oracle fixes this order):
//   1. customer role missing → AccessDenied (STS answers AssumeRole on a missing role with AccessDenied);
//   2. trust policy: a matching Deny → AccessDenied; no matching Allow → AccessDenied;
//   3. key missing → NotFoundException;
//   4. a Deny in the key policy (naming the role) or in a role policy (on the key) → AccessDenied;
//   5. an Allow from a grant, the key policy, or key-policy delegation plus a role policy; else AccessDenied;
//   6. allowed, but the key is not Enabled → DisabledException (Disabled) or KMSInvalidStateException.
// Each document is validated whole when its step is reached, so an unsupported element throws even in a
// statement that would not have matched.

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
/** operations like 'Encrypt', 'Decrypt', 'GenerateDataKey' */
export interface KmsGrant {
  granteePrincipal: string;
  operations: string[];
}
export interface AwsAccessState {
  /** OpenAI's role, e.g. arn:aws:iam::790389265272:role/EnterpriseKeyManagement */
  vendorRoleArn: string;
  /** the sts:ExternalId OpenAI sends when it assumes the customer role */
  externalId: string;
  /** undefined = the role does not exist */
  customerRole?: { arn: string; trustPolicy: PolicyDocument; policies: PolicyDocument[] };
  /** undefined = the key does not exist; policy is the 'default' key policy */
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

/** The state uses a policy element this oracle does not model; its message names the element and where. */
export class UnsupportedPolicyElementError extends Error {
  override name = 'UnsupportedPolicyElementError';
}

type Refusal = Extract<AccessDecision, { allowed: false }>;
type Kind = 'trust policy' | 'role policy' | 'key policy';
type Principal = { arn: string } | { account: string };
interface Statement {
  where: string;
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  principals: Principal[];
  externalIdTests: { operator: 'StringEquals' | 'StringLike'; values: string[] }[];
}

const unsupported = (element: string, where: string) =>
  new UnsupportedPolicyElementError(`unsupported policy element ${element} in ${where}`);
const refuse = (code: Refusal['code'], reason: string): Refusal => ({ allowed: false, code, reason });

/** An IAM ARN's account is its fifth field: arn:partition:service:region:account:resource. */
const accountOf = (arn: string): string => arn.split(':')[4] ?? '';

/** IAM wildcards: `*` matches any run of characters, `?` exactly one; everything else is literal. */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's').test(value);
}

/** IAM: most policy elements take one string or a list of strings. */
function strings(value: unknown, element: string, where: string): string[] {
  if (value === undefined) throw unsupported(`${element} (missing)`, where);
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.some((v) => typeof v !== 'string'))
    throw unsupported(`${element} ${JSON.stringify(value)}`, where);
  return list as string[];
}

const partition = 'arn:aws(?:-[a-z]+)*';
const accountRootArn = new RegExp(`^${partition}:iam::(\\d{12}):root$`);
const roleOrUserArn = new RegExp(`^${partition}:iam::\\d{12}:(?:role|user)/.+$`);

/** Principal grammar: {"AWS": role/user ARN | account root ARN | 12-digit account id, or a list of them}. */
function parsePrincipal(principal: unknown, where: string): Principal[] {
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal))
    throw unsupported(
      `Principal ${principal === undefined ? '(missing)' : JSON.stringify(principal)}`,
      where,
    );
  const [other] = Object.keys(principal).filter((k) => k !== 'AWS');
  if (other !== undefined) throw unsupported(`Principal ${other}`, where);
  return strings((principal as { AWS?: unknown }).AWS, 'Principal AWS', where).map((p) => {
    // IAM: an account root ARN and a bare account id both mean "any principal of that account".
    const account = accountRootArn.exec(p)?.[1] ?? (/^\d{12}$/.test(p) ? p : undefined);
    if (account !== undefined) return { account };
    if (roleOrUserArn.test(p)) return { arn: p };
    throw unsupported(`Principal AWS "${p}"`, where);
  });
}

/** Condition grammar (trust policy only): StringEquals / StringLike on sts:ExternalId. */
function parseCondition(condition: unknown, where: string): Statement['externalIdTests'] {
  if (condition === undefined) return [];
  if (typeof condition !== 'object' || condition === null) throw unsupported('Condition', where);
  return Object.entries(condition).flatMap(([operator, block]: [string, unknown]) => {
    if (operator !== 'StringEquals' && operator !== 'StringLike')
      throw unsupported(`Condition operator ${operator}`, where);
    if (typeof block !== 'object' || block === null) throw unsupported(`Condition ${operator}`, where);
    return Object.entries(block).map(([key, values]: [string, unknown]) => {
      // IAM: condition key names are case-insensitive (condition values are not).
      if (key.toLowerCase() !== 'sts:externalid') throw unsupported(`Condition key ${key}`, where);
      return { operator, values: strings(values, `Condition ${operator} ${key}`, where) };
    });
  });
}

const statementKeys = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);

/** Every statement of a document, normalised; throws on the first element outside the grammar. */
function parseDocument(doc: PolicyDocument | undefined, kind: Kind, index?: number): Statement[] {
  if (doc === undefined) return [];
  const docWhere = index === undefined ? kind : `${kind} #${index + 1}`;
  const [extraKey] = Object.keys(doc).filter((k) => !['Version', 'Id', 'Statement'].includes(k));
  if (extraKey !== undefined) throw unsupported(extraKey, docWhere);
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17')
    throw unsupported(`Version "${doc.Version}"`, docWhere);
  if (doc.Statement === undefined) throw unsupported('Statement (missing)', docWhere);
  const raw: unknown[] = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return raw.map((item, i): Statement => {
    if (typeof item !== 'object' || item === null) throw unsupported(`Statement #${i + 1}`, docWhere);
    const s = item as PolicyStatement;
    const where = `${docWhere} statement ${typeof s.Sid === 'string' ? `"${s.Sid}"` : `#${i + 1}`}`;
    const [extra] = Object.keys(s).filter((k) => !statementKeys.has(k));
    if (extra !== undefined) throw unsupported(extra, where);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw unsupported(`Effect ${JSON.stringify(s.Effect)}`, where);
    // IAM: a trust policy has no Resource (the role is the resource); an identity policy has no Principal.
    if (kind === 'trust policy' && s.Resource !== undefined) throw unsupported('Resource', where);
    if (kind === 'role policy' && s.Principal !== undefined) throw unsupported('Principal', where);
    // Oracle scope: only the trust policy's sts:ExternalId condition is modelled.
    if (kind !== 'trust policy' && s.Condition !== undefined) throw unsupported('Condition', where);
    return {
      where,
      effect: s.Effect,
      actions: strings(s.Action, 'Action', where),
      resources: kind === 'trust policy' ? [] : strings(s.Resource, 'Resource', where),
      principals: kind === 'role policy' ? [] : parsePrincipal(s.Principal, where),
      externalIdTests: parseCondition(s.Condition, where),
    };
  });
}

// IAM: action names match case-insensitively; resource ARNs case-sensitively; both with `*` and `?`.
const actionMatches = (s: Statement, action: string) => s.actions.some((a) => wildcardMatch(a, action, true));
const resourceMatches = (s: Statement, arn: string) => s.resources.some((r) => wildcardMatch(r, arn, false));
/** IAM Principal: names this exact role/user ARN, or the account it belongs to. */
const namesPrincipal = (s: Statement, arn: string) =>
  s.principals.some((p) => ('arn' in p ? p.arn === arn : p.account === accountOf(arn)));
/** IAM Condition: every key must hold; a list of values holds when any of them matches. */
const conditionHolds = (s: Statement, externalId: string) =>
  s.externalIdTests.every((t) =>
    t.values.some((v) =>
      t.operator === 'StringLike' ? wildcardMatch(v, externalId, false) : v === externalId,
    ),
  );

export function decideAwsKmsAccess(state: AwsAccessState, action: KmsAction): AccessDecision {
  const { vendorRoleArn, externalId, customerRole: role, key } = state;
  // STS AssumeRole: a role that does not exist is refused with AccessDenied, like any unauthorised caller.
  if (!role) return refuse('AccessDenied', `the customer role does not exist; sts:AssumeRole is refused`);

  const trust = parseDocument(role.trustPolicy, 'trust policy').filter(
    (s) =>
      actionMatches(s, 'sts:AssumeRole') && namesPrincipal(s, vendorRoleArn) && conditionHolds(s, externalId),
  );
  // IAM policy evaluation: an explicit Deny in any matching statement overrides every Allow.
  const trustDeny = trust.find((s) => s.effect === 'Deny');
  if (trustDeny) return refuse('AccessDenied', `${trustDeny.where} denies sts:AssumeRole to OpenAI`);
  // STS AssumeRole: the trust policy must allow the caller, with its Condition (sts:ExternalId) satisfied.
  const trustAllow = trust.find((s) => s.effect === 'Allow');
  if (!trustAllow)
    return refuse(
      'AccessDenied',
      `no trust policy statement of ${role.arn} allows ${vendorRoleArn} sts:AssumeRole with ExternalId "${externalId}"`,
    );
  const id = trustAllow.externalIdTests.length ? 'with ExternalId' : 'without an ExternalId condition';
  const reasons = [`${trustAllow.where} allows sts:AssumeRole ${id}`];

  // KMS: a key that does not exist answers NotFoundException.
  if (!key) return refuse('NotFoundException', 'the key does not exist');
  const identity = role.policies.flatMap((doc, i) => parseDocument(doc, 'role policy', i));
  const keyPolicy = parseDocument(key.policy, 'key policy');
  // KMS key policy: Resource "*" means this key, which the wildcard match already gives.
  const onKey = (s: Statement) => actionMatches(s, action) && resourceMatches(s, key.arn);
  // IAM: identity policy statements apply to the role; key policy statements only when they name it.
  const identityHits = identity.filter(onKey);
  const keyHits = keyPolicy.filter((s) => onKey(s) && namesPrincipal(s, role.arn));
  // IAM policy evaluation: an explicit Deny in the key policy or an identity policy overrides every Allow.
  const denied = [...keyHits, ...identityHits].find((s) => s.effect === 'Deny');
  if (denied) return refuse('AccessDenied', `${denied.where} denies ${action} on ${key.arn}`);

  const operation = action.slice('kms:'.length); // KMS grants name operations without the service prefix
  const grant = key.grants.find((g) => g.granteePrincipal === role.arn && g.operations.includes(operation));
  const keyAllows = keyHits.filter((s) => s.effect === 'Allow');
  const direct = keyAllows.find((s) => s.principals.some((p) => 'arn' in p && p.arn === role.arn));
  const delegation = keyAllows.find((s) =>
    s.principals.some((p) => 'account' in p && p.account === accountOf(role.arn)),
  );
  const keySide = direct ?? delegation;
  const identityAllow = identityHits.find((s) => s.effect === 'Allow');
  const crossAccount = accountOf(role.arn) !== accountOf(key.arn);
  if (grant) {
    // KMS grants: a grant lets its grantee use its operations, without key policy or IAM allow.
    reasons.push(`a grant to ${role.arn} allows ${operation}`);
  } else if (direct && !crossAccount) {
    // KMS key policy: a statement naming the role itself allows it on its own, no IAM policy needed.
    reasons.push(`${direct.where} allows ${action} for the role itself`);
  } else if (keySide && identityAllow) {
    // KMS: an account principal delegates to IAM; cross-account, key policy and IAM policy must both allow.
    reasons.push(
      crossAccount
        ? `${keySide.where} allows ${action} cross-account (IAM must allow too)`
        : `${keySide.where} delegates to IAM (account root)`,
      `${identityAllow.where} allows ${action} on ${key.arn}`,
    );
  } else {
    return refuse('AccessDenied', `no grant, key policy or role policy allows ${action} to the role`);
  }

  // KMS: a Disabled key answers DisabledException, any other state but Enabled KMSInvalidStateException.
  if (key.state === 'Disabled') return refuse('DisabledException', `${key.arn} is disabled`);
  if (key.state !== 'Enabled') return refuse('KMSInvalidStateException', `${key.arn} is ${key.state}`);
  return { allowed: true, reasons };
}
