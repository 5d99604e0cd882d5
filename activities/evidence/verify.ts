// Checks an evidence chain: every record's hash, the links between records, the sequence, the signature
// over the head with a key the caller trusts (given, or a configuration's current or retired key — never
// the one the chain names for itself), that it is the record of the run asked for, that `evidence.json`
// holds exactly what the chain records, and every person's act (votes, resolutions, attestations) against
// the approvers' keys — refusing unsigned acts in a production chain and keys revoked when the act was
// recorded. No I/O: the CLI and tests hand it parsed files. A failure names the first record that fails.
import * as crypto from 'node:crypto';
import { refuseFleetCover } from '../../common/fleetApproval';
import { gateHashOf } from '../../common/planActions';
import {
  chainEntries,
  chainFormat,
  genesisHash,
  recordKinds,
  recordName,
  signedStatement,
  type ChainRecord,
  type EvidenceChain,
  type HeaderBody,
} from '../../common/evidenceChain';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { canonicalJson } from '../../common/canonicalJson';
import { normalisePerson, type GateView, type TaskView } from '../../common/approvals';
import { resolutionStatement, type StopView } from '../../common/resolution';
import {
  attestationStatement,
  statementVerifies,
  voteStatement,
  type Statement,
} from '../../common/signedStatement';
import { describeRevocation, revokedKeyUsed, type RevokedKey } from '../../common/revokedKeys';
import { recordHash } from './chain';
import { fingerprintOf, publicKeyFrom } from './signer';

export interface ChainVerdict {
  ok: boolean;
  /** One line: what was checked and the outcome. */
  summary: string;
  /** The record that failed, when one did. */
  failed?: { seq: number; kind: string; why: string };
  records: number;
  /** The run the chain is the record of (as its header says), once the header was read. */
  workflowId?: string;
  runId?: string;
  /** Which trusted key verified the signature: given on the command line, a configuration's current or retired one. */
  keySource?: 'given' | 'configured' | 'previous';
  fingerprint?: string;
  /** When the key that signed was retired by a rotation. */
  retiredAt?: string;
  /** The chain's mode: the signing worker's own (or, in older chains, the run's settings'). */
  mode?: 'sandbox' | 'production';
  /** Signed acts (votes, resolutions, attestations) verified against the approvers' keys. */
  acts?: number;
  /** True when the chain is intact but no key the verifier trusts was given: it proves nothing of its writer. */
  untrusted?: boolean;
}

/** An evidence-signing public key the verifier trusts. */
export interface TrustedEvidenceKey {
  /** PEM (SPKI) or base64 DER SPKI. */
  publicKey: string;
  source: 'given' | 'configured' | 'previous';
  /** For a key a rotation retired: when. */
  retiredAt?: string;
}

export interface VerifyOptions {
  /** One public key the verifier trusts (PEM or base64 DER SPKI): the same as `trustedKeys` of one given key. */
  publicKey?: string;
  /** The evidence-signing keys the verifier trusts — never the one the chain names for itself. */
  trustedKeys?: TrustedEvidenceKey[];
  /**
   * Approvers' keys from a configuration the verifier trusts. Without them, acts are checked against the
   * keys the run's settings recorded, which only the worker's signature vouches for (the verdict says so).
   */
  signers?: Record<string, string[]>;
  /** Approver keys revoked from a time (a trusted configuration's; the run's recorded ones count too). */
  revokedKeys?: RevokedKey[];
  /** The trusted configuration's mode: a production configuration refuses a sandbox chain. */
  mode?: 'sandbox' | 'production';
  /** The run that was asked for: the chain must be its record. */
  expected?: { workflowId?: string; runId?: string };
  /** The `evidence.json` stored with the chain, to be checked against it. */
  evidence?: RunStatus<RunSubject>;
}

function fail(
  records: number,
  r: { seq: number; kind: string },
  why: string,
  extra: Partial<ChainVerdict> = {},
): ChainVerdict {
  return {
    ok: false,
    records,
    failed: { seq: r.seq, kind: r.kind, why },
    summary: `NOT VERIFIED: ${recordName(r)}: ${why}`,
    ...extra,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** How the verdict names a trusted key. */
function keyName(
  k: { source: TrustedEvidenceKey['source']; retiredAt?: string },
  fingerprint: string,
): string {
  if (k.source === 'given') return `the given public key ${fingerprint}`;
  if (k.source === 'previous') return `the previous key ${fingerprint} (retired ${k.retiredAt})`;
  return `the configuration's evidence key ${fingerprint}`;
}

export type TrustedKey = TrustedEvidenceKey & { key: crypto.KeyObject; fingerprint: string };

/**
 * The keys the verifier trusts, read: given, or from a configuration it was pointed at — never a key a
 * record names for itself. `none` when none was given; `unreadable` names the key that cannot be read.
 */
export function trustedEvidenceKeys(
  options: Pick<VerifyOptions, 'publicKey' | 'trustedKeys'>,
): { keys: TrustedKey[] } | { none: true } | { unreadable: string } {
  const given: TrustedEvidenceKey[] = [
    ...(options.publicKey ? [{ publicKey: options.publicKey, source: 'given' as const }] : []),
    ...(options.trustedKeys ?? []),
  ];
  if (!given.length) return { none: true };
  const keys: TrustedKey[] = [];
  for (const k of given) {
    try {
      const key = publicKeyFrom(k.publicKey);
      keys.push({ ...k, key, fingerprint: fingerprintOf(key.export({ format: 'der', type: 'spki' })) });
    } catch (err) {
      return { unreadable: `the public key cannot be read: ${(err as Error).message}` };
    }
  }
  return { keys };
}

/** Whether `value` (base64 Ed25519) signs the UTF-8 bytes of `message` with `key`; a malformed one does not. */
export function signatureVerifies(key: TrustedKey, message: string, value: unknown): boolean {
  try {
    return crypto.verify(null, Buffer.from(message, 'utf8'), key.key, Buffer.from(String(value), 'base64'));
  } catch {
    return false;
  }
}

/** How a verdict names a trusted key. */
export function trustedKeyName(k: TrustedKey): string {
  return keyName(k, k.fingerprint);
}

export function verifyChain(input: unknown, options: VerifyOptions = {}): ChainVerdict {
  if (!isObject(input) || !Array.isArray(input.records))
    return { ok: false, records: 0, summary: 'NOT VERIFIED: not an evidence chain (no records)' };
  if (input.format !== chainFormat)
    return {
      ok: false,
      records: 0,
      summary: `NOT VERIFIED: unknown chain format ${JSON.stringify(input.format)} (this verifier reads ${chainFormat})`,
    };
  const chain = input as unknown as EvidenceChain;
  const n = chain.records.length;
  if (n < 2)
    return { ok: false, records: n, summary: 'NOT VERIFIED: a chain has at least a header and an end' };

  let prevHash = genesisHash;
  for (const [i, raw] of (chain.records as unknown[]).entries()) {
    const r = (isObject(raw) ? raw : {}) as Partial<ChainRecord>;
    const named = { seq: typeof r.seq === 'number' ? r.seq : i, kind: String(r.kind ?? 'unknown') };
    if (r.seq !== i)
      return fail(n, named, `out of sequence: found at position ${i}, so its seq must be ${i}, not ${r.seq}`);
    if (!recordKinds.includes(r.kind as never))
      return fail(n, named, `unknown kind ${JSON.stringify(r.kind)}`);
    if ((i === 0) !== (r.kind === 'header'))
      return fail(n, named, i === 0 ? 'the first record must be the header' : 'a second header');
    if ((i === n - 1) !== (r.kind === 'end'))
      return fail(
        n,
        named,
        i === n - 1 ? 'the last record must be the end (records missing?)' : 'an end before the last record',
      );
    if (r.prevHash !== prevHash)
      return fail(
        n,
        named,
        `prevHash ${String(r.prevHash)} does not link to the previous record's hash ${prevHash}`,
      );
    const hash = recordHash({ seq: i, kind: r.kind!, body: r.body, prevHash });
    if (r.hash !== hash)
      return fail(n, named, `its content does not match its hash (edited after it was written)`);
    prevHash = hash;
  }

  const header = chain.records[0]!;
  const head = chain.records[n - 1]!;
  const headerBody = header.body as HeaderBody;
  if (headerBody.workflowId !== chain.workflowId || headerBody.runId !== chain.runId)
    return fail(n, header, 'names another run than the chain file does');
  const ids = { workflowId: headerBody.workflowId, runId: headerBody.runId };

  // The header names the key that signed (which key, across rotations) — never a reason to trust it.
  const signer = headerBody.signer;
  if (signer) {
    let headerFingerprint: string;
    try {
      headerFingerprint = fingerprintOf(Buffer.from(signer.publicKey, 'base64'));
    } catch {
      return fail(n, header, 'its public key cannot be read');
    }
    if (headerFingerprint !== signer.fingerprint)
      return fail(
        n,
        header,
        `its public key's fingerprint is ${headerFingerprint}, not ${signer.fingerprint}`,
      );
  }
  const sig = chain.signature;
  if (!sig)
    return fail(
      n,
      head,
      'the chain is not signed (the worker had no signing key): its integrity proves nothing',
      ids,
    );

  const found = trustedEvidenceKeys(options);
  if ('none' in found)
    return {
      ok: false,
      untrusted: true,
      records: n,
      ...ids,
      summary: `NOT VERIFIED: hashes and links intact, but no key you trust was given (--public-key FILE or --config FILE); the key inside the chain (${signer?.fingerprint ?? 'none'}) is never trusted`,
    };
  if ('unreadable' in found) return { ok: false, records: n, summary: `NOT VERIFIED: ${found.unreadable}` };
  const trusted = found.keys;
  const signedWith = sig.fingerprint ?? signer?.fingerprint;
  const key = trusted.find((k) => k.fingerprint === signedWith);
  if (!key)
    return fail(
      n,
      head,
      `the chain is signed with key ${String(signedWith)}, which is not a key you trust (trusted: ${trusted.map((k) => k.fingerprint).join(', ')}): re-signed by someone else, or signed with a key retired by a rotation that you were not given`,
      ids,
    );
  const extra: Partial<ChainVerdict> = {
    ...ids,
    keySource: key.source,
    fingerprint: key.fingerprint,
    ...(key.retiredAt ? { retiredAt: key.retiredAt } : {}),
  };
  if (sig.headSeq !== head.seq || sig.headHash !== head.hash)
    return fail(n, head, `the signature covers seq ${sig.headSeq} (${sig.headHash}), not this head`, extra);
  if (!signatureVerifies(key, canonicalJson(signedStatement(chain, head)), sig.value))
    return fail(
      n,
      head,
      `the signature over the chain head does not verify with ${keyName(key, key.fingerprint)} (edited, or re-signed with another key, after it was written)`,
      extra,
    );

  // The run asked for: a chain of another run — copied under this run's name, or handed over by mistake —
  // is intact and signed, and still not the record asked for.
  const expected = options.expected ?? {};
  if (expected.workflowId !== undefined && expected.workflowId !== ids.workflowId)
    return fail(
      n,
      header,
      `this is the chain of workflow ${ids.workflowId}, not of ${expected.workflowId} that was asked for (copied from another run?)`,
      extra,
    );
  if (expected.runId !== undefined && expected.runId !== ids.runId)
    return fail(
      n,
      header,
      `this is the chain of run ${ids.runId}, not of run ${expected.runId} that was asked for (copied from another run?)`,
      extra,
    );

  // evidence.json is what people and the CLI read: it must say exactly what the signed chain says.
  if (options.evidence) {
    const expectedRecords = chainEntries(options.evidence, signer ?? null, headerBody.mode);
    for (const [i, r] of chain.records.entries()) {
      const e = expectedRecords[i];
      if (!e || e.kind !== r.kind || canonicalJson(e.body ?? null) !== canonicalJson(r.body ?? null))
        return fail(
          n,
          r,
          'evidence.json does not hold what this record holds (evidence.json was changed)',
          extra,
        );
    }
    if (expectedRecords.length !== n)
      return fail(
        n,
        head,
        `evidence.json holds ${expectedRecords.length} records' worth, the chain ${n}`,
        extra,
      );
  }

  // The mode: the signing worker's own, recorded by it in the header. A chain without it (older) is
  // taken as its settings say, and one without settings as production (nothing unsigned passes).
  const settingsMode = headerBody.settings?.mode;
  if (headerBody.mode && settingsMode && headerBody.mode !== settingsMode)
    return fail(
      n,
      header,
      `the run's settings say ${settingsMode}, but the worker that signed the chain was ${headerBody.mode}: the run's status was altered before it was recorded`,
      extra,
    );
  const mode = headerBody.mode ?? settingsMode ?? 'production';
  extra.mode = mode;
  if (options.mode === 'production' && mode === 'sandbox')
    return fail(
      n,
      header,
      'a sandbox chain (a rehearsal, whose worker takes unsigned acts): it proves nothing to a production configuration',
      extra,
    );

  // The people's acts: every vote, resolution and attestation checked against the approvers' keys.
  const acts = verifyActs(chain, headerBody, mode, options);
  if ('why' in acts) return fail(n, acts.record, acts.why, extra);
  const keysFrom = options.signers
    ? 'the configuration'
    : "the run's settings (vouched for by the worker's signature only: give --config to check them against yours)";

  return {
    ok: true,
    records: n,
    ...extra,
    acts: acts.verified,
    summary: `VERIFIED: ${n} records of workflow ${ids.workflowId}, run ${ids.runId}${expected.runId ? '' : expected.workflowId ? ' (the run id was not named: not checked)' : ' (the run was not named: not checked)'}; a ${mode} chain, hashes and links intact, signed with ${keyName(key, key.fingerprint)}${options.evidence ? '; evidence.json matches the chain' : ''}; ${acts.verified} signed act(s) verified against the approvers' keys in ${keysFrom}${acts.unsigned ? `; ${acts.unsigned} unsigned act(s), taken on trust by a sandbox worker` : ''}`,
  };
}

/** A signed act in a chain: who made it, what they signed, when it was recorded, and how the failure is worded. */
interface SignedAct {
  record: ChainRecord;
  approver: string;
  signature?: { value: string; expiresAt: string };
  authenticated?: boolean;
  /** When the run recorded the act (revocations are judged at this time). */
  at?: string;
  statement: Statement;
  /** `the approve by alice on gate revoke-1`, for the refusal. */
  what: string;
  /** Why the act cannot stand for this run whatever its signature (a fleet approval covering another). */
  refused?: string;
}

/** Every signed act of the chain: the votes on its gates, the resolutions of its stops, the attestations of its tasks. */
function signedActs(chain: EvidenceChain, header: HeaderBody): SignedAct[] {
  const run = { workflowId: chain.workflowId, runId: chain.runId };
  return chain.records.flatMap((record): SignedAct[] => {
    if (record.kind === 'gate') {
      const gate = record.body as GateView;
      // A gate a fleet decided: the votes were cast on the fleet's gate and name the fleet's run; this
      // run's entry must be in the list they sign (the same check the change made before acting).
      if (gate.fleet) {
        const cover = gate.fleet;
        const refused = refuseFleetCover(cover, gate.gateId, gate.planHash, gate.kind, gate.breakGlass, run);
        return (gate.votes ?? []).map((vote) => ({
          record,
          ...vote,
          statement: voteStatement(cover.fleet, { ...vote, gateId: gate.gateId, planHash: gate.planHash }),
          what: `the ${vote.decision} by ${vote.approver} on fleet ${cover.fleet.workflowId}'s gate ${gate.gateId}`,
          ...(refused ? { refused } : {}),
        }));
      }
      // Votes sign the gate's hash over the actions, plans, kind and break-glass it records (gates opened
      // since approvals were bound to actions): recomputed here, so a record whose actions were edited
      // after the vote fails, as the change that acted on them would have.
      const bound = Array.isArray(gate.actions) && Array.isArray(gate.plans);
      const planHash = bound
        ? gateHashOf({ plans: gate.plans!, actions: gate.actions! }, gate.kind, gate.breakGlass)
        : gate.planHash;
      const altered =
        planHash !== gate.planHash
          ? ' (its recorded actions, plans, kind or break-glass are not what its hash covers)'
          : '';
      return (gate.votes ?? []).map((vote) => ({
        record,
        ...vote,
        statement: voteStatement(run, { ...vote, gateId: gate.gateId, planHash }),
        what: `the ${vote.decision} by ${vote.approver} on gate ${gate.gateId}${altered}`,
      }));
    }
    if (record.kind === 'stop') {
      // A resolution is signed like a vote, over the run, the stop, the stop's hash and the decision.
      const stop = record.body as StopView;
      return (stop.votes ?? []).map((resolution) => ({
        record,
        ...resolution,
        statement: resolutionStatement(run, { ...resolution, stopId: stop.stopId, stopHash: stop.stopHash }),
        what: `the ${resolution.choice}${resolution.resource ? ` ${resolution.resource}` : ''} by ${resolution.approver} on stop ${stop.stopId}`,
      }));
    }
    if (record.kind === 'task') {
      // An attestation is signed over the run, the task, the run's plan hash and the outcome.
      const task = record.body as TaskView;
      const answer = task.answer;
      if (!answer) return [];
      return [
        {
          record,
          approver: answer.by,
          signature: answer.signature,
          authenticated: answer.authenticated,
          at: answer.recordedAt,
          statement: attestationStatement(run, header.plan?.hash ?? '', { ...answer, taskId: task.taskId }),
          what: `the attestation ${answer.outcome} by ${answer.by} on task ${task.taskId}`,
        },
      ];
    }
    return [];
  });
}

/** The number of signed acts that verify (and unsigned ones a sandbox took), or the first that does not. */
function verifyActs(
  chain: EvidenceChain,
  header: HeaderBody,
  mode: 'sandbox' | 'production',
  options: VerifyOptions,
): { verified: number; unsigned: number } | { record: ChainRecord; why: string } {
  const keys = options.signers ?? header.settings?.approvals.signers ?? {};
  const keysFrom = options.signers ? 'the configuration' : "the run's settings";
  // The trusted configuration's revocations, and those the run itself recorded: either refuses.
  const revoked = [...(options.revokedKeys ?? []), ...(header.settings?.approvals.revokedKeys ?? [])];
  let verified = 0;
  let unsigned = 0;
  for (const act of signedActs(chain, header)) {
    if (act.refused) return { record: act.record, why: `${act.what}: ${act.refused}` };
    if (!act.signature) {
      if (mode === 'production')
        return {
          record: act.record,
          why: `${act.what} is not signed, in a production chain (a production worker takes signed acts only: the run's record was altered before it was signed)`,
        };
      if (act.authenticated)
        return { record: act.record, why: `${act.what} is marked authenticated but carries no signature` };
      unsigned++;
      continue;
    }
    // An act recorded at an unknown time is judged as if recorded now: a revoked key never passes by it.
    const at = act.at && !Number.isNaN(Date.parse(act.at)) ? Date.parse(act.at) : Infinity;
    const revocation = revokedKeyUsed(act.statement, act.signature.value, revoked, at);
    if (revocation)
      return { record: act.record, why: `${act.what} at ${act.at} is ${describeRevocation(revocation)}` };
    if (at > Date.parse(act.signature.expiresAt))
      return {
        record: act.record,
        why: `${act.what} was recorded at ${act.at}, after its signature expired at ${act.signature.expiresAt}`,
      };
    if (!statementVerifies(act.statement, act.signature.value, keys[normalisePerson(act.approver)] ?? []))
      return {
        record: act.record,
        why: `${act.what} does not verify with ${act.approver}'s key in ${keysFrom}`,
      };
    verified++;
  }
  return { verified, unsigned };
}
