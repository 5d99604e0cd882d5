// What a restore takes back on AWS, computed as a diff: the revocation's own edit is recomputed from the
// snapshot (the policy edits are pure and deterministic), and only what that edit removed is put back and
// only what it added is taken out of the document as it is now. Whatever another run or a person changed
// since stays: runs through one role no longer hold it to their end, so a restore must never write the
// whole snapshot document back over their changes. Pure, shared by the restore activity and the plan's diff.
import { canonicalJson } from '../../common/canonicalJson';
import {
  addKeyPolicyDeny,
  isTrustDenySid,
  keyPolicyDenySid,
  keyUseActions,
  parsePolicy,
  removeKeyUse,
  removeVendorTrust,
  runsTrustDenySid,
  statementsOf,
  trustDenySid,
  type PolicyDocument,
  type PolicyStatement,
} from './activities/policyEdits';
import type { AwsAccessSnapshot } from './request';

export interface RestoreEdit {
  /** The document after the restore; null: the policy has no statement (it stays absent). */
  document: PolicyDocument | null;
  changed: boolean;
  /** One line per statement put back or taken out. */
  changes: string[];
}

const same = (a: PolicyStatement, b: PolicyStatement) => canonicalJson(a) === canonicalJson(b);
const indexIn = (statements: PolicyStatement[], s: PolicyStatement) =>
  statements.findIndex((c) => same(c, s));
const labelOf = (s: PolicyStatement) => (s.Sid ? `statement "${s.Sid}"` : `statement ${canonicalJson(s)}`);

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function awsPrincipals(s: PolicyStatement | undefined): string[] {
  return list((s?.Principal as { AWS?: unknown } | undefined)?.AWS);
}

/** The principals a trust Deny names: those remove-trust took out (the worker's at revocation time). */
export function trustDenyPrincipals(trust: PolicyDocument, sid: string = trustDenySid): string[] | undefined {
  const deny = statementsOf(trust).find((s) => s.Sid === sid);
  const principals = awsPrincipals(deny);
  return principals.length ? principals : undefined;
}

/**
 * The Deny a restore takes out: the run's own (`runsSid`, named by its snapshot) where it stands. A run
 * recorded before each run held its own Deny wrote the bare `EkmRevokedOpenAI`; where the run's own is not
 * there and a bare one is that the snapshot did not hold, the restore is of such a run and takes the bare one
 * out, as it did then. (A bare Deny the snapshot held was there before the run: never this run's.)
 */
export function restoredTrustDenySid(
  current: PolicyDocument,
  snapshotTrust: PolicyDocument,
  runsSid: string,
): string {
  const has = (doc: PolicyDocument, sid: string) => statementsOf(doc).some((s) => s.Sid === sid);
  if (has(current, runsSid)) return runsSid;
  return has(current, trustDenySid) && !has(snapshotTrust, trustDenySid) ? trustDenySid : runsSid;
}

/**
 * Undoes one statement's edit: where the revocation's replacement for `original` is still there as the
 * revocation left it, `original` takes its place; where someone changed it since, `removedPart` (exactly
 * what the revocation took away) is added beside it; where `original` is already there, nothing.
 */
function putBack(
  out: PolicyStatement[],
  original: PolicyStatement,
  replacement: PolicyStatement[],
  removedPart: () => PolicyStatement,
  insertAt: () => number,
  changes: string[],
): void {
  if (indexIn(out, original) >= 0) return;
  const at = replacement.map((r) => indexIn(out, r));
  if (replacement.length && at.every((i) => i >= 0)) {
    const first = Math.min(...at);
    for (const r of replacement) out.splice(indexIn(out, r), 1);
    out.splice(Math.min(first, out.length), 0, original);
    changes.push(`put back ${labelOf(original)} as it was before the revocation`);
  } else if (!replacement.length) {
    out.splice(Math.min(insertAt(), out.length), 0, original);
    changes.push(`put back ${labelOf(original)}, which the revocation removed`);
  } else {
    const part = removedPart();
    out.splice(Math.min(insertAt(), out.length), 0, part);
    changes.push(
      `added ${labelOf(part)}: what the revocation removed from ${labelOf(original)}, which has changed since`,
    );
  }
}

function result(doc: PolicyDocument | null, out: PolicyStatement[], changes: string[]): RestoreEdit {
  if (!changes.length) return { document: doc, changed: false, changes };
  return { document: out.length ? { ...(doc ?? {}), Statement: out } : null, changed: true, changes };
}

/**
 * remove-trust: OpenAI's trust back in the statements it was taken from; the revocation's Deny (`denySid`)
 * out. Other runs' Denys stay where they are.
 */
export function restoreVendorTrust(
  current: PolicyDocument,
  snapshot: PolicyDocument,
  vendorPrincipals: string[],
  denySid: string = trustDenySid,
): RestoreEdit {
  const out = [...statementsOf(current)];
  const changes: string[] = [];
  const before = statementsOf(snapshot);
  const denyBefore = before.find((s) => s.Sid === denySid);
  // The Deny's place is where remove-trust put it: the first statement it removed.
  const denyAt = out.findIndex((s) => s.Sid === denySid);
  let insertAt = denyAt >= 0 ? denyAt : out.length;
  if (vendorPrincipals.length)
    for (const s of before) {
      if (isTrustDenySid(s.Sid)) continue;
      const edited = statementsOf(
        removeVendorTrust({ Statement: [s] }, vendorPrincipals, denySid).document,
      ).filter((e) => e.Sid !== denySid);
      if (edited.length === 1 && same(edited[0]!, s)) continue;
      const kept = awsPrincipals(edited[0]);
      const removed = awsPrincipals(s).filter((p) => !kept.includes(p));
      putBack(
        out,
        s,
        edited,
        () => ({ ...s, Principal: { AWS: removed.length === 1 ? removed[0] : removed } }),
        () => insertAt++,
        changes,
      );
    }
  const deny = out.findIndex((s) => s.Sid === denySid);
  if (deny >= 0 && !(denyBefore && same(out[deny]!, denyBefore))) {
    if (denyBefore) out[deny] = denyBefore;
    else out.splice(deny, 1);
    changes.push(
      denyBefore
        ? `put back trust statement "${denySid}" as it was before the revocation`
        : `removed trust statement "${denySid}", which the revocation added`,
    );
  }
  return result(current, out, changes);
}

export interface TrustRestore extends RestoreEdit {
  /** The revocation's Deny this restore takes out (`restoredTrustDenySid`). */
  denySid: string;
  /** Other revocations' Denys left in the trust policy: OpenAI stays refused while any of them stands. */
  stillDeniedBy: string[];
}

/**
 * What restoring one remove-trust revocation does to the role's trust policy as it is now: its own Deny out
 * and OpenAI's trust back (whom to put back: the principals its Deny names, else `configuredVendors`), and
 * which other runs' Denys still refuse OpenAI afterwards. The restore activity applies it; the restore
 * plan's diff shows it.
 */
export function restoreRunsVendorTrust(
  current: PolicyDocument,
  snapshot: AwsAccessSnapshot,
  configuredVendors: string[],
): TrustRestore {
  const snapshotTrust = parsePolicy(snapshot.role.trustPolicy);
  const denySid = restoredTrustDenySid(current, snapshotTrust, runsTrustDenySid(snapshot));
  const vendors = trustDenyPrincipals(current, denySid) ?? configuredVendors;
  const edit = restoreVendorTrust(current, snapshotTrust, vendors, denySid);
  const stillDeniedBy = statementsOf(edit.document ?? current)
    .filter((s) => s.Effect === 'Deny' && isTrustDenySid(s.Sid) && s.Sid !== denySid)
    .map((s) => s.Sid!);
  return { ...edit, denySid, stillDeniedBy };
}

/** Said where a restore leaves other runs' Denys in the trust policy (the plan's diff, the run's record). */
export function stillRefusedWords(roleArn: string, stillDeniedBy: string[]): string {
  const sids = stillDeniedBy.map((sid) => `"${sid}"`).join(', ');
  return `OpenAI stays refused by ${roleArn}: trust statement${stillDeniedBy.length === 1 ? '' : 's'} ${sids} of another revocation still den${stillDeniedBy.length === 1 ? 'ies' : 'y'} it (an explicit Deny wins over the trust put back); each comes out with its own run's restore`;
}

/** remove-key-permission: the key's use back in the statements of one inline policy it was removed from. */
export function restoreKeyUse(
  current: PolicyDocument | null,
  snapshot: PolicyDocument,
  keyArn: string,
): RestoreEdit {
  const out = current ? [...statementsOf(current)] : [];
  const changes: string[] = [];
  const before = statementsOf(snapshot);
  // A statement put back goes right after the one before it in the snapshot, where that one still is.
  const after = (j: number) => {
    for (let k = j - 1; k >= 0; k--) {
      const at = indexIn(out, before[k]!);
      if (at >= 0) return at + 1;
    }
    return 0;
  };
  for (const [j, s] of before.entries()) {
    const edit = removeKeyUse({ ...snapshot, Statement: [s] }, keyArn);
    if (!edit.changed) continue;
    const dropped = list(s.Action).filter((a) =>
      keyUseActions.some((k) => k.toLowerCase() === a.toLowerCase()),
    );
    putBack(
      out,
      s,
      edit.document ? statementsOf(edit.document) : [],
      () => {
        const { Sid, NotResource: _n, ...rest } = s;
        return {
          ...(Sid ? { Sid: `${Sid}Restored` } : {}),
          ...rest,
          Action: dropped,
          Resource: keyArn,
        };
      },
      () => after(j),
      changes,
    );
  }
  return result(current ?? snapshot, out, changes);
}

/** key-policy-deny: only this run's Deny of `roleArn` comes out of the key policy; the rest stays as it is. */
export function removeRunsKeyPolicyDeny(
  current: PolicyDocument,
  snapshot: PolicyDocument,
  roleArn: string,
): RestoreEdit {
  const out = [...statementsOf(current)];
  const at = out.findIndex((s) => s.Sid === keyPolicyDenySid);
  const denyBefore = statementsOf(snapshot).find((s) => s.Sid === keyPolicyDenySid);
  if (at < 0) return result(current, out, []);
  const denyLeft = statementsOf(addKeyPolicyDeny(snapshot, roleArn).document).find(
    (s) => s.Sid === keyPolicyDenySid,
  )!;
  const changes: string[] = [];
  if (same(out[at]!, denyLeft)) {
    // As the revocation left it: back to the snapshot's statement, or none.
    if (denyBefore) out[at] = denyBefore;
    else out.splice(at, 1);
    changes.push(
      denyBefore
        ? `put back key policy statement "${keyPolicyDenySid}" as it was before the revocation`
        : `removed key policy statement "${keyPolicyDenySid}", which the revocation added`,
    );
  } else if (!awsPrincipals(denyBefore).includes(roleArn) && awsPrincipals(out[at]).includes(roleArn)) {
    // Changed since (another run denied another role): only this role comes out of it.
    const others = awsPrincipals(out[at]).filter((p) => p !== roleArn);
    if (others.length)
      out[at] = { ...out[at]!, Principal: { AWS: others.length === 1 ? others[0] : others } };
    else out.splice(at, 1);
    changes.push(`took ${roleArn} out of key policy statement "${keyPolicyDenySid}"`);
  }
  return result(current, out, changes);
}
