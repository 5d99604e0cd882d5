// The worker's evidence signing key (Ed25519). The private key comes from a file or an environment
// variable the worker configuration names; runs never see it. A sandbox worker without one keeps its own,
// generated once, in its evidence directory: rehearsals get signed chains without any set-up, and no
// production worker ever signs with a key that lies next to what it signs.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChainSigner } from '../../common/evidenceChain';

export interface EvidenceSigner extends ChainSigner {
  /** Base64 Ed25519 signature over the UTF-8 bytes of `message` (deterministic: same input, same bytes). */
  sign(message: string): string;
}

export class SigningKeyError extends Error {
  constructor(
    /** The configuration field at fault, e.g. `evidence.signingKeyFile`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** `sha256:<hex>` of a DER SubjectPublicKeyInfo: the name an auditor compares with the key they trust. */
export function fingerprintOf(publicKeyDer: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(publicKeyDer).digest('hex')}`;
}

/** A public key from PEM (SPKI or a private key, whose public half is taken) or base64 DER SPKI. */
export function publicKeyFrom(text: string): crypto.KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const key = trimmed.includes('PRIVATE KEY')
      ? crypto.createPublicKey(crypto.createPrivateKey(trimmed))
      : crypto.createPublicKey(trimmed);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${key.asymmetricKeyType})`);
    return key;
  }
  const key = crypto.createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

export function signerFromPem(pem: string, field: string): EvidenceSigner {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(pem);
  } catch (err) {
    throw new SigningKeyError(field, `not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new SigningKeyError(field, `must be an Ed25519 private key, not ${key.asymmetricKeyType}`);
  const der = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return {
    algorithm: 'Ed25519',
    publicKey: der.toString('base64'),
    fingerprint: fingerprintOf(der),
    sign: (message) => crypto.sign(null, Buffer.from(message, 'utf8'), key).toString('base64'),
  };
}

/** A new Ed25519 private key as PKCS#8 PEM, and its public key as SPKI PEM. */
export function generateSigningKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/**
 * Writes a new key to `file` unless one is there already (never replaced: chains signed with it must stay
 * verifiable), plus `<file>.pub`. Returns the file.
 */
export function ensureSigningKeyFile(file: string): string {
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { privateKeyPem, publicKeyPem } = generateSigningKey();
  // Written whole under a private name, then linked into place: link refuses to replace a key another
  // process made first, and nobody ever reads a half-written key.
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, privateKeyPem, { mode: 0o600 });
  try {
    fs.linkSync(partial, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return file; // another process made it first: theirs is the key
  } finally {
    fs.rmSync(partial, { force: true });
  }
  fs.writeFileSync(`${file}.pub`, publicKeyPem, { mode: 0o644 });
  return file;
}

/** Where a sandbox worker without a configured key keeps its own. */
export const sandboxKeyName = '.evidence-signing-key.pem';

export interface SignerConfig {
  signingKeyFile?: string;
  signingKeyEnv?: string;
}

/** A sandbox worker's own key, kept in its evidence directory (made on first use). */
export function sandboxSigner(directory: string): EvidenceSigner {
  const file = ensureSigningKeyFile(path.join(directory, sandboxKeyName));
  return signerFromPem(fs.readFileSync(file, 'utf8'), 'evidence.signingKeyFile');
}

/**
 * The configured signer, read once at worker start (a missing or malformed key stops the worker there, not
 * at a run's last step). `sandboxDirectory`: a sandbox worker's evidence directory, used when no key is
 * named. Undefined: no key, the chains are written unsigned.
 */
export function loadSigner(
  config: SignerConfig,
  options: { env?: NodeJS.ProcessEnv; sandboxDirectory?: string } = {},
): EvidenceSigner | undefined {
  const env = options.env ?? process.env;
  if (config.signingKeyFile) {
    let pem: string;
    try {
      pem = fs.readFileSync(config.signingKeyFile, 'utf8');
    } catch (err) {
      throw new SigningKeyError(
        'evidence.signingKeyFile',
        `cannot read ${config.signingKeyFile} (${(err as Error).message})`,
      );
    }
    return signerFromPem(pem, 'evidence.signingKeyFile');
  }
  if (config.signingKeyEnv) {
    const pem = env[config.signingKeyEnv];
    if (!pem)
      throw new SigningKeyError(
        'evidence.signingKeyEnv',
        `the environment variable ${config.signingKeyEnv} is not set (it must hold the PEM private key)`,
      );
    // Environment files often hold a PEM on one line with literal \n: accept both.
    return signerFromPem(pem.replace(/\\n/g, '\n'), 'evidence.signingKeyEnv');
  }
  if (options.sandboxDirectory) return sandboxSigner(options.sandboxDirectory);
  return undefined;
}
