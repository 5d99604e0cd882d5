// Offline verification of a stored evidence chain: a run's folder (chain.json, and evidence.json when it
// is there) or a chain file on its own, against what the auditor trusts — a public key they were given
// (`--public-key`) or a worker configuration they point at (`--config`: its evidence key, the keys it
// retired, its approvers' keys and revocations). The key a chain names for itself is never trusted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  verifyChain,
  type ChainVerdict,
  type TrustedEvidenceKey,
  type VerifyOptions,
} from '../activities/evidence/verify';
import { signerKeys } from '../activities/runSettings';
import { chainFile } from '../common/evidenceChain';
import type { RunStatus } from '../providers/runStatus';
import type { RunSubject } from '../providers/runSubject';
import { parseWorkerConfig, WorkerConfigError } from '../worker/config';
import { CliError, UsageError } from './errors';

export interface StoredRecord {
  chain?: string;
  evidence?: string;
}

/** What the verifier trusts, from the flags: everything of VerifyOptions but the record and the run asked for. */
export type Trust = Omit<VerifyOptions, 'evidence' | 'expected'>;

/** A verdict for what was read from a sink; undefined when there is no chain to verify. */
export function verifyStored(
  stored: StoredRecord,
  options: Omit<VerifyOptions, 'evidence'> | string = {},
): ChainVerdict | undefined {
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
  const trust = typeof options === 'string' ? { publicKey: options } : options;
  return verifyChain(chain, { ...trust, evidence });
}

export function readPublicKey(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--public-key: cannot read ${file} (${(err as Error).message})`);
  }
}

/**
 * The trust a worker configuration gives: the evidence key it signs with now (`evidence.publicKey`, or
 * the public half of the key file it names when that is readable here), the keys it retired
 * (`evidence.previousPublicKeys`), its approvers' keys, its revocations and its mode.
 */
export function trustFromConfig(file: string, env: NodeJS.ProcessEnv = process.env): Trust {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--config: cannot read ${file} as JSON (${(err as Error).message})`);
  }
  let config;
  try {
    config = parseWorkerConfig(raw, file);
  } catch (err) {
    if (err instanceof WorkerConfigError) throw new UsageError(`--config: ${err.message}`);
    throw err;
  }
  const { evidence } = config;
  const current =
    evidence.publicKey ??
    (evidence.signingKeyFile && fs.existsSync(evidence.signingKeyFile)
      ? fs.readFileSync(evidence.signingKeyFile, 'utf8')
      : evidence.signingKeyEnv
        ? env[evidence.signingKeyEnv]?.replace(/\\n/g, '\n')
        : undefined);
  const trustedKeys: TrustedEvidenceKey[] = [
    ...(current ? [{ publicKey: current, source: 'configured' as const }] : []),
    ...(evidence.previousPublicKeys ?? []).map((k) => ({
      publicKey: k.publicKey,
      source: 'previous' as const,
      retiredAt: k.retiredAt,
    })),
  ];
  if (!trustedKeys.length)
    throw new UsageError(
      `--config: ${file} names no evidence public key: add evidence.publicKey (the .pub file next to the worker's signing key), or give --public-key FILE`,
    );
  return {
    trustedKeys,
    signers: signerKeys(config),
    revokedKeys: config.approvals.revokedKeys ?? [],
    mode: config.sandbox ? 'sandbox' : 'production',
  };
}

/** The trust the flags give, or undefined when they give none (`--public-key` counts before the configuration's key). */
export function trustFrom(flags: { publicKey?: string; config?: string }): Trust | undefined {
  const publicKey = readPublicKey(flags.publicKey);
  const configured = flags.config ? trustFromConfig(flags.config) : undefined;
  if (!publicKey && !configured) return undefined;
  return { ...configured, ...(publicKey ? { publicKey } : {}) };
}

/** The refusal when no trusted key was given: how to give one. */
export const needsTrustedKey =
  "needs a key you trust: --public-key FILE (the worker's public key) or --config FILE (the worker's configuration); the key inside the chain is never trusted";

/** `ekm evidence verify <file-or-folder>`: the folder's chain.json (with its evidence.json), or a chain file. */
export function verifyPath(
  target: string,
  options: Omit<VerifyOptions, 'evidence'> | string = {},
): ChainVerdict {
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
  const verdict = verifyStored(stored, options);
  if (!verdict)
    throw new CliError(`${target}: no ${chainFile} there (a record written before evidence chains?)`);
  return verdict;
}
