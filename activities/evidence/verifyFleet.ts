// Checks a fleet's signed record (common/fleetRecord.ts) against a key the caller trusts: that it is the
// record of the fleet asked for, that fleet.json is byte for byte the one signed, that the signature
// verifies, and that every child's chain stored now is the one the fleet recorded and itself verifies
// (verify.ts). No I/O of its own: the caller hands it the files and a way to read a child's chain.
import { canonicalJson } from '../../common/canonicalJson';
import { fleetRecordFormat, fleetRecordStatement, type FleetRecord } from '../../common/fleetRecord';
import { sha256Hex } from './chain';
import { chainHeadOf } from './fleetEvidence';
import {
  signatureVerifies,
  trustedEvidenceKeys,
  trustedKeyName,
  verifyChain,
  type VerifyOptions,
} from './verify';

export interface FleetVerdict {
  ok: boolean;
  /** True when the record is intact but no key the verifier trusts was given. */
  untrusted?: boolean;
  summary: string;
  children: number;
  fingerprint?: string;
}

export async function verifyFleetRecord(
  files: { record: string; fleetJson: string },
  childChain: (workflowId: string, runId: string) => Promise<string | undefined>,
  options: Omit<VerifyOptions, 'evidence' | 'expected'> & {
    expected: { workflowId: string; runId?: string };
  },
): Promise<FleetVerdict> {
  const no = (why: string, extra: Partial<FleetVerdict> = {}): FleetVerdict => ({
    ok: false,
    children: 0,
    summary: `NOT VERIFIED: ${why}`,
    ...extra,
  });
  let record: FleetRecord;
  try {
    record = JSON.parse(files.record) as FleetRecord;
  } catch (err) {
    return no(`fleet.sig.json is not JSON (${(err as Error).message})`);
  }
  if (record.format !== fleetRecordFormat)
    return no(
      `unknown fleet record format ${JSON.stringify(record.format)} (this verifier reads ${fleetRecordFormat})`,
    );
  const { expected } = options;
  if (record.workflowId !== expected.workflowId || (expected.runId && record.runId !== expected.runId))
    return no(
      `this is the record of ${record.workflowId} run ${record.runId}, not of ${expected.workflowId}${expected.runId ? ` run ${expected.runId}` : ''} that was asked for (copied from another fleet?)`,
    );
  if (sha256Hex(files.fleetJson) !== record.fleetJsonSha256)
    return no('fleet.json is not the one the record signed (edited after it was written)');
  const children = record.children.length;

  // The children's chains first: they say what happened to each key, whoever signed the fleet's record.
  let verified = 0;
  for (const c of record.children) {
    const stored = await childChain(c.workflowId, c.runId);
    const head = chainHeadOf(stored);
    if (head !== c.chainHead)
      return no(
        `the chain of child ${c.workflowId} run ${c.runId} ${stored === undefined ? 'is missing' : `has head ${String(head)}`}, not the ${String(c.chainHead)} the fleet recorded`,
        { children },
      );
    if (stored === undefined) continue; // none was stored when the fleet ended, and none is now
    const verdict = verifyChain(JSON.parse(stored), {
      ...options,
      expected: { workflowId: c.workflowId, runId: c.runId },
    });
    if (!verdict.ok && !verdict.untrusted)
      return no(`the chain of child ${c.workflowId}: ${verdict.summary}`, { children });
    verified++;
  }

  if (!record.signature)
    return no('the fleet record is not signed (the worker had no signing key): it proves nothing', {
      children,
    });
  const found = trustedEvidenceKeys(options);
  if ('none' in found)
    return {
      ok: false,
      untrusted: true,
      children,
      summary: `NOT VERIFIED: fleet.json and ${verified} children's chains as recorded, but no key you trust was given (--public-key FILE or --config FILE)`,
    };
  if ('unreadable' in found) return no(found.unreadable, { children });
  const key = found.keys.find((k) => k.fingerprint === record.signature!.fingerprint);
  if (!key)
    return no(
      `the fleet record is signed with key ${record.signature.fingerprint}, which is not a key you trust (trusted: ${found.keys.map((k) => k.fingerprint).join(', ')})`,
      { children },
    );
  if (!signatureVerifies(key, canonicalJson(fleetRecordStatement(record)), record.signature.value))
    return no(
      `the fleet record's signature does not verify with ${trustedKeyName(key)} (edited after it was signed)`,
      {
        children,
      },
    );
  return {
    ok: true,
    children,
    fingerprint: key.fingerprint,
    summary: `verified: fleet.json as signed by ${trustedKeyName(key)}; ${verified} of ${children} children's chains stored as the fleet recorded them and verified${verified < children ? ` (${children - verified} child(ren) had none when the fleet ended)` : ''}`,
  };
}
