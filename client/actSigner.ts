// How the CLI signs a person's act (a vote, an attestation, a start): with an Ed25519 private key from a
// file the person names (`--signing-key FILE` or EKM_SIGNING_KEY_FILE — a path, never the key itself), or
// through a program of their choosing (EKM_SIGNER_COMMAND: an agent, a hardware token's tool) that reads
// the statement's canonical JSON on stdin and prints the signature in hex. Without either the act goes
// unsigned, which only a sandbox worker accepts.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { Command } from 'commander';
import {
  maxSignatureValidityMs,
  maxSignatureValidityText,
  statementBytes,
  type Signature,
  type Statement,
} from '../common/signedStatement';
import { startStatement } from '../common/startStatement';
import { parseDuration } from './sinceFlag';
import { UsageError } from './errors';

export interface SigningFlags {
  signingKey?: string;
  validFor?: string;
}

export interface ActSigner {
  /** Where the signature comes from, for the person's output. */
  source: string;
  sign(statement: Statement): string;
}

/** The options every act-sending command takes. */
export function addSigningOptions(command: Command): Command {
  return command
    .option(
      '--signing-key <file>',
      'your Ed25519 private key file (PKCS#8 PEM, from `ekm keys init`); default: EKM_SIGNING_KEY_FILE, or the program in EKM_SIGNER_COMMAND',
    )
    .option('--valid-for <duration>', 'how long the signed statement stays valid (default 15m, at most 24h)');
}

export function actSigner(flags: SigningFlags, env = process.env): ActSigner | undefined {
  const file = flags.signingKey ?? env.EKM_SIGNING_KEY_FILE;
  const flag = flags.signingKey ? '--signing-key' : 'EKM_SIGNING_KEY_FILE';
  if (file) {
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(
        `${flag} ${file}: cannot read an Ed25519 private key from it (${(err as Error).message}); make one with \`ekm keys init\``,
      );
    }
    if (key.asymmetricKeyType !== 'ed25519')
      throw new UsageError(`${flag} ${file}: must be an Ed25519 private key, not ${key.asymmetricKeyType}`);
    return {
      source: `key file ${file}`,
      sign: (statement) => crypto.sign(null, statementBytes(statement), key).toString('hex'),
    };
  }
  const command = env.EKM_SIGNER_COMMAND;
  if (command)
    return {
      source: `EKM_SIGNER_COMMAND`,
      sign: (statement) => {
        const done = spawnSync(command, {
          shell: true,
          input: Buffer.from(statementBytes(statement)),
          encoding: 'utf8',
          timeout: 60_000,
        });
        const signature = done.stdout?.trim() ?? '';
        if (done.status !== 0 || !/^[0-9a-f]{128}$/.test(signature))
          throw new UsageError(
            `EKM_SIGNER_COMMAND: the signer did not print a signature (exit ${done.status ?? done.signal}; it must read the statement on stdin and print 128 hex characters)${done.stderr ? `: ${done.stderr.trim().slice(0, 300)}` : ''}`,
          );
        return signature;
      },
    };
  return undefined;
}

/** `--valid-for`, checked before anything is contacted: the workers refuse a statement valid for longer. */
export function validForSeconds(flags: SigningFlags): number {
  if (!flags.validFor) return 15 * 60;
  const seconds = parseDuration('--valid-for', flags.validFor);
  if (seconds * 1000 > maxSignatureValidityMs)
    throw new UsageError(
      `--valid-for ${flags.validFor}: must be at most 24h (workers refuse a signed statement valid for longer than ${maxSignatureValidityText}); sign again when it expires`,
    );
  return seconds;
}

/** Signs the statement `build(expiresAt)` makes, or returns undefined when the person has no signer. */
export function signAct(
  signer: ActSigner | undefined,
  validFor: number,
  build: (expiresAt: string) => Statement,
): Signature | undefined {
  if (!signer) return undefined;
  const expiresAt = new Date(Date.now() + validFor * 1000).toISOString();
  return { expiresAt, value: signer.sign(build(expiresAt)) };
}

/** The request a start sends: signed by the requester for this workflow id, when they have a signer. */
export function signedStart<I extends { requester: string }>(
  flags: SigningFlags,
  workflowId: string,
  input: I,
): I & { signature?: Signature } {
  const signature = signAct(actSigner(flags), validForSeconds(flags), (expiresAt) =>
    startStatement(workflowId, input, expiresAt),
  );
  return signature ? { ...input, signature } : input;
}
