// Offline verification of a stored evidence chain: a run's folder (chain.json, and evidence.json when it
// is there) or a chain file on its own, against a public key the auditor trusts or the header's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { verifyChain, type ChainVerdict } from '../activities/evidence/verify';
import { chainFile } from '../common/evidenceChain';
import type { RunStatus } from '../common/runStatus';
import type { RunSubject } from '../common/runSubject';
import { CliError, UsageError } from './errors';

export interface StoredRecord {
  chain?: string;
  evidence?: string;
}

/** A verdict for what was read from a sink; undefined when there is no chain to verify. */
export function verifyStored(stored: StoredRecord, publicKey?: string): ChainVerdict | undefined {
  if (stored.chain === undefined) return undefined;
  let chain: unknown;
  let evidence: RunStatus<RunSubject> | undefined;
  try {
    chain = JSON.parse(stored.chain);
  } catch (err) {
    return {
      ok: false,
      records: 0,
      summary: `NOT VERIFIED: ${chainFile} is not JSON (${(err as Error).message})`,
    };
  }
  try {
    evidence =
      stored.evidence === undefined ? undefined : (JSON.parse(stored.evidence) as RunStatus<RunSubject>);
  } catch (err) {
    return {
      ok: false,
      records: 0,
      summary: `NOT VERIFIED: evidence.json is not JSON (${(err as Error).message})`,
    };
  }
  return verifyChain(chain, { publicKey, evidence });
}

export function readPublicKey(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--public-key: cannot read ${file} (${(err as Error).message})`);
  }
}

/** `ekm evidence verify <file-or-folder>`: the folder's chain.json (with its evidence.json), or a chain file. */
export function verifyPath(target: string, publicKey?: string): ChainVerdict {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new UsageError(`${target}: no such file or folder`);
  }
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  const stored: StoredRecord = stat.isDirectory()
    ? { chain: read(path.join(target, chainFile)), evidence: read(path.join(target, 'evidence.json')) }
    : { chain: read(target) };
  const verdict = verifyStored(stored, publicKey);
  if (!verdict)
    throw new CliError(`${target}: no ${chainFile} there (a record written before evidence chains?)`);
  return verdict;
}
