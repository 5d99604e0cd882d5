// Checks an evidence chain: every record's hash, the links between records, the sequence, the
// signature over the head (with the key the caller trusts, or else the one the header names — the
// verdict says which), and, when given, that `evidence.json` holds exactly what the chain records. No
// I/O: the CLI and tests hand it parsed files. A failure names the first record that does not verify.
import * as crypto from 'node:crypto';
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
import type { RunStatus } from '../../common/runStatus';
import type { RunSubject } from '../../common/runSubject';
import { canonicalJson } from '../../common/canonicalJson';
import { normalisePerson, type GateView } from '../../common/approvals';
import { resolutionStatement, type StopView } from '../../common/resolution';
import { statementVerifies, voteStatement, type Statement } from '../../common/signedStatement';
import { recordHash } from './chain';
import { fingerprintOf, publicKeyFrom } from './signer';

export interface ChainVerdict {
  ok: boolean;
  /** One line: what was checked and the outcome. */
  summary: string;
  /** The record that failed, when one did. */
  failed?: { seq: number; kind: string; why: string };
  records: number;
  /** Whose key the signature was checked with. */
  keySource?: 'given' | 'header';
  fingerprint?: string;
}

export interface VerifyOptions {
  /** A public key the verifier trusts (PEM or base64 DER SPKI); without it, the header's key is used. */
  publicKey?: string;
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

  // The signature: with the key given, or the header's (which proves only that the chain is intact and
  // signed by whoever holds that key: an auditor compares the fingerprint with the worker's).
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
    );
  let key: crypto.KeyObject;
  let keySource: 'given' | 'header';
  try {
    if (options.publicKey) {
      key = publicKeyFrom(options.publicKey);
      keySource = 'given';
    } else if (signer) {
      key = publicKeyFrom(signer.publicKey);
      keySource = 'header';
    } else return fail(n, header, 'names no signing key, and none was given');
  } catch (err) {
    return {
      ok: false,
      records: n,
      summary: `NOT VERIFIED: the public key cannot be read: ${(err as Error).message}`,
    };
  }
  const fingerprint = fingerprintOf(key.export({ format: 'der', type: 'spki' }));
  const extra = { keySource, fingerprint };
  if (sig.headSeq !== head.seq || sig.headHash !== head.hash)
    return fail(n, head, `the signature covers seq ${sig.headSeq} (${sig.headHash}), not this head`, extra);
  let valid = false;
  try {
    valid = crypto.verify(
      null,
      Buffer.from(canonicalJson(signedStatement(chain, head)), 'utf8'),
      key,
      Buffer.from(String(sig.value), 'base64'),
    );
  } catch {
    valid = false;
  }
  if (!valid)
    return fail(
      n,
      head,
      `the signature over the chain head does not verify with the ${keySource === 'given' ? 'given' : "header's"} key ${fingerprint}${signer && signer.fingerprint !== fingerprint ? ` (the header names ${signer.fingerprint})` : ''}`,
      extra,
    );

  // evidence.json is what people and the CLI read: it must say exactly what the signed chain says.
  if (options.evidence) {
    const expected = chainEntries(options.evidence, signer ?? null);
    for (const [i, r] of chain.records.entries()) {
      const e = expected[i];
      if (!e || e.kind !== r.kind || canonicalJson(e.body ?? null) !== canonicalJson(r.body ?? null))
        return fail(
          n,
          r,
          'evidence.json does not hold what this record holds (evidence.json was changed)',
          extra,
        );
    }
    if (expected.length !== n)
      return fail(n, head, `evidence.json holds ${expected.length} records' worth, the chain ${n}`, extra);
  }

  // The people's acts: every vote recorded as authenticated is checked again against the keys the run's
  // settings name (an auditor compares those keys with the approval policy they trust).
  const acts = verifyActs(chain, headerBody);
  if (typeof acts !== 'number') return fail(n, acts.record, acts.why, extra);

  return {
    ok: true,
    records: n,
    keySource,
    fingerprint,
    summary: `VERIFIED: ${n} records, hashes and links intact, signature valid with the ${keySource === 'given' ? 'given public key' : "public key in the header (compare its fingerprint with the worker's)"} ${fingerprint}${options.evidence ? '; evidence.json matches the chain' : ''}; ${acts} signed vote(s) verified against the run's approvers' keys`,
  };
}

/** A signed act in a chain: who made it, what they signed, and how the failure is worded. */
interface SignedAct {
  record: ChainRecord;
  approver: string;
  signature?: { value: string };
  authenticated?: boolean;
  statement: Statement;
  /** `the approve by alice on gate revoke-1`, for the refusal. */
  what: string;
}

/** Every signed act of the chain: the votes on its gates and the resolutions of its stops. */
function signedActs(chain: EvidenceChain): SignedAct[] {
  const run = { workflowId: chain.workflowId, runId: chain.runId };
  return chain.records.flatMap((record): SignedAct[] => {
    if (record.kind === 'gate') {
      const gate = record.body as GateView;
      return (gate.votes ?? []).map((vote) => ({
        record,
        ...vote,
        statement: voteStatement(run, { ...vote, gateId: gate.gateId, planHash: gate.planHash }),
        what: `the ${vote.decision} by ${vote.approver} on gate ${gate.gateId}`,
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
    return [];
  });
}

/** The number of signed votes (and resolutions of stops) that verify, or the first that does not. */
function verifyActs(chain: EvidenceChain, header: HeaderBody): number | { record: ChainRecord; why: string } {
  const keys = header.settings?.approvals.signers ?? {};
  let verified = 0;
  for (const act of signedActs(chain)) {
    if (!act.signature) {
      if (act.authenticated)
        return { record: act.record, why: `${act.what} is marked authenticated but carries no signature` };
      continue;
    }
    if (!statementVerifies(act.statement, act.signature.value, keys[normalisePerson(act.approver)] ?? []))
      return {
        record: act.record,
        why: `${act.what} does not verify with ${act.approver}'s key in the run's settings`,
      };
    verified++;
  }
  return verified;
}
