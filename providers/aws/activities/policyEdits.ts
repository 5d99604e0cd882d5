// Pure edits of IAM and KMS policy documents for the revocation runbook. Each edit is computed from the
// document alone and is a fixed point: applied to its own output it finds nothing to change, which is what
// makes a revocation retried after a crash change nothing twice.
import { canonicalJson } from '../../../common/canonicalJson';
import { snapshotId } from '../../../common/planActions';

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
  [element: string]: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement?: PolicyStatement | PolicyStatement[];
  [element: string]: unknown;
}

/**
 * The Sid of the statement remove-trust writes into the customer role's trust policy: alone, as runs
 * recorded before each run held its own Deny wrote it (one statement shared by every run through the role);
 * today followed by the run's tag (`runsTrustDenySid`).
 */
export const trustDenySid = 'EkmRevokedOpenAI';

/**
 * One run's remove-trust Deny: `EkmRevokedOpenAI` and the first 16 hex digits of the sha256 of the access
 * snapshot the run kept — the `accessSnapshot.sha256` its signed evidence records and the restore gate's
 * action names. The snapshot is taken once per run, right before its change, and both the revoke and the
 * restore activity are handed it, so each run's Deny is its own and its restore takes out only that one
 * (IAM Sids are [A-Za-z0-9]: hex fits). Computed on the snapshot as JSON carries it, like its kept hash.
 */
export function runsTrustDenySid(snapshot: unknown): string {
  return `${trustDenySid}${snapshotId(JSON.parse(JSON.stringify(snapshot)) as unknown).slice(0, 16)}`;
}

/** A remove-trust Deny of any run: the bare Sid (runs from before) or a run's own. */
export function isTrustDenySid(sid: unknown): sid is string {
  return typeof sid === 'string' && new RegExp(`^${trustDenySid}(?:[0-9a-f]{16})?$`).test(sid);
}
/** The Sid of the statement key-policy-deny writes into the key policy. */
export const keyPolicyDenySid = 'EkmRevokeOpenAI';
/** What OpenAI's role needs on the key (reference/openai-ekm.md): remove-key-permission removes these. */
export const keyUseActions = ['kms:Encrypt', 'kms:Decrypt'] as const;
/** What key-policy-deny denies: the key's use, and the calls that would make or re-wrap data keys with it. */
export const deniedKeyActions = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];

/** IAM answers documents URL-encoded (GetRole, GetRolePolicy; GetPolicyVersion on AWS, not on moto). */
export function decodePolicyText(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed);
}

export function parsePolicy(text: string): PolicyDocument {
  const parsed: unknown = JSON.parse(decodePolicyText(text));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('a policy document must be a JSON object');
  return parsed as PolicyDocument;
}

/** Same meaning as far as key order and whitespace go (the form of a value, string or list, still counts). */
export function samePolicy(a: string | PolicyDocument, b: string | PolicyDocument): boolean {
  const doc = (d: string | PolicyDocument) => (typeof d === 'string' ? parsePolicy(d) : d);
  return canonicalJson(doc(a)) === canonicalJson(doc(b));
}

export function statementsOf(doc: PolicyDocument): PolicyStatement[] {
  if (doc.Statement === undefined) return [];
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

/** IAM elements take one string or a list of strings. */
function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

/** Writes a list back the way IAM documents usually hold it: one value as a string. */
function oneOrMany(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : values;
}

/** IAM wildcards: `*` matches any run of characters, `?` exactly one; everything else is literal. */
export function iamWildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's').test(value);
}

function label(statement: PolicyStatement, index: number): string {
  return typeof statement.Sid === 'string' && statement.Sid
    ? `statement "${statement.Sid}"`
    : `statement #${index + 1}`;
}

// --- remove-trust ------------------------------------------------------------------------------------------

/** An account root ARN or a bare account id: IAM reads both as "every principal of that account". */
function accountNamedBy(principal: string): string | undefined {
  return (
    /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(principal)?.[1] ??
    (/^\d{12}$/.test(principal) ? principal : undefined)
  );
}

/** OpenAI's principal itself, or OpenAI's whole account (which includes OpenAI's principal). */
function isVendorPrincipal(principal: string, vendorPrincipals: string[]): boolean {
  if (vendorPrincipals.includes(principal)) return true;
  const account = accountNamedBy(principal);
  return (
    account !== undefined && vendorPrincipals.some((v) => (accountNamedBy(v) ?? v.split(':')[4]) === account)
  );
}

export function trustDenyStatement(vendorPrincipals: string[], sid: string = trustDenySid): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Deny',
    Principal: { AWS: oneOrMany([...new Set(vendorPrincipals)]) },
    Action: 'sts:AssumeRole',
  };
}

export interface TrustRemoval {
  document: PolicyDocument;
  changed: boolean;
  /** One line per statement that trusted OpenAI, and the Deny added or rewritten. */
  changes: string[];
}

/**
 * Takes OpenAI's principal(s) out of every Allow statement of a role's trust policy (a statement left with no
 * principal goes) and puts an explicit Deny of sts:AssumeRole for them, under the run's own Sid, in place of
 * the first removed one: AWS refuses a trust policy without statements, and the Deny also outlasts a wildcard
 * Allow we cannot edit. Another run's Deny (found when that run took OpenAI's trust first) stays as it is and
 * this run's goes beside it: an explicit Deny wins over any Allow, so OpenAI stays refused until every run's
 * Deny is out, and each run's restore takes out only its own.
 */
export function removeVendorTrust(
  doc: PolicyDocument,
  vendorPrincipals: string[],
  denySid: string = trustDenySid,
): TrustRemoval {
  if (vendorPrincipals.length === 0) throw new Error("no vendor principal given: name OpenAI's principal");
  const changes: string[] = [];
  const out: PolicyStatement[] = [];
  let denyAt: number | undefined;
  statementsOf(doc).forEach((s, i) => {
    const principal = s.Principal;
    if (
      isTrustDenySid(s.Sid) ||
      s.Effect !== 'Allow' ||
      typeof principal !== 'object' ||
      principal === null
    ) {
      out.push(s);
      return;
    }
    const aws = list((principal as { AWS?: unknown }).AWS);
    const vendor = aws.filter((p) => isVendorPrincipal(p, vendorPrincipals));
    if (vendor.length === 0) {
      out.push(s);
      return;
    }
    const kept = aws.filter((p) => !vendor.includes(p));
    const { AWS: _aws, ...others } = principal as Record<string, unknown>;
    const rest: Record<string, unknown> = kept.length ? { ...others, AWS: oneOrMany(kept) } : others;
    if (Object.keys(rest).length === 0) {
      denyAt ??= out.length;
      changes.push(`removed trust ${label(s, i)}, which let ${vendor.join(', ')} assume the role`);
    } else {
      out.push({ ...s, Principal: rest });
      changes.push(
        `removed ${vendor.join(', ')} from trust ${label(s, i)} (it still trusts ${JSON.stringify(rest)})`,
      );
    }
  });

  const deny = trustDenyStatement(vendorPrincipals, denySid);
  const existing = out.findIndex((s) => s.Sid === denySid);
  if (existing >= 0) {
    if (canonicalJson(out[existing]) !== canonicalJson(deny)) {
      out[existing] = deny;
      changes.push(
        `rewrote trust statement "${denySid}" to deny sts:AssumeRole to ${vendorPrincipals.join(', ')}`,
      );
    }
  } else {
    // Nothing of OpenAI's left to replace (another run took it): beside the other runs' Denys.
    const afterDenies = out.reduce((at, s, j) => (isTrustDenySid(s.Sid) ? j + 1 : at), out.length);
    out.splice(denyAt ?? afterDenies, 0, deny);
    const others = out.filter((s) => isTrustDenySid(s.Sid) && s.Sid !== denySid).map((s) => `"${s.Sid}"`);
    changes.push(
      `added trust statement "${denySid}": Deny sts:AssumeRole to ${vendorPrincipals.join(', ')}${others.length ? ` (beside ${others.join(', ')} of another revocation, which stays)` : ''}`,
    );
  }
  return changes.length
    ? { document: { ...doc, Statement: out }, changed: true, changes }
    : { document: doc, changed: false, changes };
}

// --- remove-key-permission -------------------------------------------------------------------------------

/** How an Allow statement covers one action: by naming it, through a wildcard or NotAction, or not at all. */
function actionCoverage(
  s: PolicyStatement,
  action: string,
): { how: 'named' | 'wildcard'; by: string } | undefined {
  if (s.NotAction !== undefined) {
    const excluded = list(s.NotAction).some((a) => iamWildcardMatch(a, action, true));
    return excluded ? undefined : { how: 'wildcard', by: `NotAction ${JSON.stringify(s.NotAction)}` };
  }
  const actions = list(s.Action);
  // A wildcard still allows the action once its name is dropped, so it decides even beside the name.
  const isName = (a: string) => a.toLowerCase() === action.toLowerCase();
  const wildcard = actions.find((a) => !isName(a) && iamWildcardMatch(a, action, true));
  if (wildcard !== undefined) return { how: 'wildcard', by: wildcard };
  const named = actions.find(isName);
  return named === undefined ? undefined : { how: 'named', by: named };
}

/** Which of the statement's resources match the key; NotResource counts as "*" (every key but the listed). */
function resourceCoverage(s: PolicyStatement, keyArn: string): { covering: string[]; others: string[] } {
  if (s.NotResource !== undefined) {
    const excluded = list(s.NotResource).some((r) => iamWildcardMatch(r, keyArn, false));
    return excluded
      ? { covering: [], others: [] }
      : { covering: [`NotResource ${JSON.stringify(s.NotResource)}`], others: [] };
  }
  const resources = list(s.Resource);
  return {
    covering: resources.filter((r) => iamWildcardMatch(r, keyArn, false)),
    others: resources.filter((r) => !iamWildcardMatch(r, keyArn, false)),
  };
}

/** Labels of the Allow statements that let the policy's holder Encrypt or Decrypt with the key, in any form. */
export function allowsKeyUse(doc: PolicyDocument, keyArn: string): string[] {
  return statementsOf(doc).flatMap((s, i) => {
    if (s.Effect !== 'Allow' || resourceCoverage(s, keyArn).covering.length === 0) return [];
    const actions = keyUseActions.filter((a) => actionCoverage(s, a) !== undefined);
    return actions.length ? [`${label(s, i)} (${actions.join(', ')})`] : [];
  });
}

export interface KeyUseRemoval {
  /** The edited document; null when no statement is left (the policy is deleted). */
  document: PolicyDocument | null;
  changed: boolean;
  /** One line per statement edited. */
  changes: string[];
  /** Statements that allow the key's use through a wildcard or NotAction: only a person can narrow those. */
  blockers: string[];
}

/**
 * Removes kms:Encrypt and kms:Decrypt on the key from an identity policy. A statement that also names
 * resources other than the key is split, so those keep every action (a role used for the old and the
 * replacement key keeps the replacement); a statement left without actions goes.
 */
export function removeKeyUse(doc: PolicyDocument, keyArn: string): KeyUseRemoval {
  const changes: string[] = [];
  const blockers: string[] = [];
  const out: PolicyStatement[] = [];
  statementsOf(doc).forEach((s, i) => {
    const { covering, others } = resourceCoverage(s, keyArn);
    const coverage = keyUseActions.map((a) => actionCoverage(s, a));
    if (s.Effect !== 'Allow' || covering.length === 0 || coverage.every((c) => c === undefined)) {
      out.push(s);
      return;
    }
    const wildcards = coverage.filter((c) => c?.how === 'wildcard').map((c) => c!.by);
    if (wildcards.length) {
      blockers.push(`${label(s, i)} allows the key's use through ${[...new Set(wildcards)].join(', ')}`);
      out.push(s);
      return;
    }
    const dropped = list(s.Action).filter((a) =>
      keyUseActions.some((k) => k.toLowerCase() === a.toLowerCase()),
    );
    const remaining = list(s.Action).filter((a) => !dropped.includes(a));
    const form = (values: string[], was: unknown) => (Array.isArray(was) ? values : oneOrMany(values));
    const wide = covering.filter((r) => r !== keyArn);
    let what = `removed ${dropped.join(', ')} on ${covering.join(', ')} from ${label(s, i)}`;
    if (wide.length) what += ` (${wide.join(', ')} also matches other keys, which lose these actions too)`;
    if (others.length) {
      // The other resources keep the statement as it was; the key's resources keep only what is left.
      out.push({ ...s, Resource: form(others, s.Resource) });
      if (remaining.length)
        out.push({
          ...s,
          ...(s.Sid ? { Sid: `${s.Sid}WithoutKeyUse` } : {}),
          Action: form(remaining, s.Action),
          Resource: form(covering, s.Resource),
        });
      what += `; ${others.join(', ')} keep${others.length === 1 ? 's' : ''} it`;
    } else if (remaining.length) {
      out.push({ ...s, Action: form(remaining, s.Action) });
    } else {
      what += '; the statement had nothing else and was removed';
    }
    changes.push(what);
  });
  if (!changes.length) return { document: doc, changed: false, changes, blockers };
  return { document: out.length ? { ...doc, Statement: out } : null, changed: true, changes, blockers };
}

// --- key-policy-deny -------------------------------------------------------------------------------------

export interface KeyPolicyDeny {
  document: PolicyDocument;
  changed: boolean;
  change: string;
}

/** Adds (or completes) the key policy's Deny of the key's use for the role; an explicit Deny beats any Allow. */
export function addKeyPolicyDeny(doc: PolicyDocument, roleArn: string): KeyPolicyDeny {
  const statements = statementsOf(doc);
  const at = statements.findIndex((s) => s.Sid === keyPolicyDenySid);
  const existing = at >= 0 ? statements[at]! : undefined;
  const principals = existing ? list((existing.Principal as { AWS?: unknown } | undefined)?.AWS) : [];
  const actions = existing ? list(existing.Action) : [];
  const complete =
    existing?.Effect === 'Deny' &&
    existing.Resource === '*' &&
    existing.Condition === undefined &&
    principals.includes(roleArn) &&
    deniedKeyActions.every((a) => actions.includes(a));
  if (complete)
    return {
      document: doc,
      changed: false,
      change: `key policy statement "${keyPolicyDenySid}" already denies ${roleArn}`,
    };
  const deny: PolicyStatement = {
    Sid: keyPolicyDenySid,
    Effect: 'Deny',
    Principal: { AWS: oneOrMany([...new Set([...principals, roleArn])]) },
    Action: [...new Set([...actions, ...deniedKeyActions])],
    Resource: '*',
  };
  const out = [...statements];
  if (existing) out[at] = deny;
  else out.push(deny);
  return {
    document: { ...doc, Statement: out },
    changed: true,
    change: `${existing ? 'rewrote' : 'added'} key policy statement "${keyPolicyDenySid}": Deny ${deniedKeyActions.join(', ')} to ${roleArn}`,
  };
}

// --- what the snapshot reports for the blast radius ------------------------------------------------------

/** Every principal an Allow statement names (AWS principals, services, "*"), except `except`. */
export function principalsAllowedBy(doc: PolicyDocument, except: string): string[] {
  const found = statementsOf(doc).flatMap((s) => {
    if (s.Effect !== 'Allow') return [];
    if (s.Principal === '*') return ['*'];
    if (typeof s.Principal !== 'object' || s.Principal === null) return [];
    return Object.values(s.Principal as Record<string, unknown>).flatMap(list);
  });
  return [...new Set(found)].filter((p) => p !== except);
}

/** Could this resource pattern name a KMS key? ("*", a kms ARN, or a pattern whose service part is wild.) */
function mayNameKmsKey(resource: string): boolean {
  const service = resource.split(':')[2];
  return service === undefined ? resource.includes('*') : iamWildcardMatch(service, 'kms', true);
}

/** The KMS resources an identity policy allows kms:Encrypt or kms:Decrypt on (NotResource reads as "*"). */
export function keysAllowedBy(doc: PolicyDocument): string[] {
  const found = statementsOf(doc).flatMap((s) => {
    if (s.Effect !== 'Allow' || keyUseActions.every((a) => actionCoverage(s, a) === undefined)) return [];
    return s.NotResource !== undefined ? ['*'] : list(s.Resource).filter(mayNameKmsKey);
  });
  return [...new Set(found)];
}
