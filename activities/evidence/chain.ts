// Builds a run's evidence chain: the records `chainEntries` derives from the status, each hashed over
// the canonical JSON of {seq, kind, body, prevHash}, and the head signed with the worker's key.
import * as crypto from 'node:crypto';
import {
  chainEntries,
  chainFormat,
  genesisHash,
  hashedPart,
  signedStatement,
  type ChainRecord,
  type EvidenceChain,
  type HeaderBody,
} from '../../common/evidenceChain';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { canonicalJson } from '../../common/canonicalJson';
import type { EvidenceSigner } from './signer';

export function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

export function recordHash(r: Pick<ChainRecord, 'seq' | 'kind' | 'body' | 'prevHash'>): string {
  return sha256Hex(canonicalJson(hashedPart(r)));
}

/** `mode`: the writing worker's own (its configuration's sandbox flag), recorded in the header. */
export function buildChain(
  run: RunStatus<RunSubject>,
  signer: EvidenceSigner | undefined,
  mode?: HeaderBody['mode'],
): EvidenceChain {
  const publicSigner = signer
    ? { algorithm: signer.algorithm, publicKey: signer.publicKey, fingerprint: signer.fingerprint }
    : null;
  const records: ChainRecord[] = [];
  let prevHash = genesisHash;
  for (const [seq, entry] of chainEntries(run, publicSigner, mode).entries()) {
    // The body as JSON would carry it, so the hash over what is written equals the hash over what is read
    // back (undefined fields vanish, undefined array items become null).
    const body = JSON.parse(JSON.stringify(entry.body ?? null)) as unknown;
    const hash = recordHash({ seq, kind: entry.kind, body, prevHash });
    records.push({ seq, kind: entry.kind, body, prevHash, hash });
    prevHash = hash;
  }
  const chain: EvidenceChain = {
    format: chainFormat,
    workflowId: run.workflowId,
    runId: run.runId,
    records,
    signature: null,
  };
  if (signer) {
    const head = records[records.length - 1]!;
    chain.signature = {
      algorithm: 'Ed25519',
      fingerprint: signer.fingerprint,
      headSeq: head.seq,
      headHash: head.hash,
      value: signer.sign(canonicalJson(signedStatement(chain, head))),
    };
  }
  return chain;
}

/** The bytes of `chain.json`: fixed by the chain alone, so a retried write produces the same file. */
export function chainText(chain: EvidenceChain): string {
  return `${JSON.stringify(chain, null, 2)}\n`;
}
