// The codec's keys: a keyring of named AES-256 keys and the id of the one new payloads are encrypted
// with. Keys come from the process environment (or a file it names), never from a flag or a run's input,
// so no key ever sits in shell history, a process listing or Temporal itself. Several keys at once let
// the codec key be rotated: encrypt with the new one while payloads under the old one stay readable.
import * as fs from 'node:fs';

export interface CodecKeyring {
  /** The key id new payloads are encrypted with. */
  currentKeyId: string;
  /** Every key that can decrypt, by id (the current one included). */
  keys: ReadonlyMap<string, Buffer>;
}

/** Where the keys are read from; worker/config.ts can rename the variables. */
export interface CodecKeySource {
  /** `id:base64,id:base64` — 32-byte keys, standard or URL-safe base64. */
  keysEnv: string;
  /** A file holding the same list (commas or newlines; `#` starts a comment). */
  keysFileEnv: string;
  /** The id to encrypt with; may be omitted when there is only one key. */
  keyIdEnv: string;
}

export const defaultCodecKeySource: CodecKeySource = {
  keysEnv: 'EKM_CODEC_KEYS',
  keysFileEnv: 'EKM_CODEC_KEYS_FILE',
  keyIdEnv: 'EKM_CODEC_KEY_ID',
};

export class CodecKeyError extends Error {}

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** Decodes one key, refusing anything that is not exactly 32 bytes of canonical base64. */
function decodeKey(id: string, encoded: string, where: string): Buffer {
  const normalised = encoded.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(normalised))
    throw new CodecKeyError(
      `${where}: key ${id} is not base64 (generate one with \`openssl rand -base64 32\`)`,
    );
  const key = Buffer.from(normalised, 'base64');
  // Re-encoding catches truncated or padded-wrong strings that Buffer.from would quietly accept.
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== normalised.replace(/=+$/, ''))
    throw new CodecKeyError(
      `${where}: key ${id} must be 32 bytes of base64 (got ${key.length} bytes); generate one with \`openssl rand -base64 32\``,
    );
  return key;
}

/**
 * Parses `id:base64` entries separated by commas or newlines. The text is never echoed in errors: it
 * holds the keys.
 */
export function parseCodecKeys(text: string, where: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const entries = text
    .split(/[,\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon).trim();
    if (!keyIdPattern.test(id))
      throw new CodecKeyError(
        `${where}: entry ${i + 1} must be <id>:<base64 key> with an id of letters, digits, '.', '_' or '-'`,
      );
    if (keys.has(id)) throw new CodecKeyError(`${where}: key id ${id} is listed twice`);
    keys.set(id, decodeKey(id, entry.slice(colon + 1).trim(), where));
  }
  return keys;
}

/** Picks the current key: the named one, or the only one. */
export function makeKeyring(
  keys: Map<string, Buffer>,
  currentKeyId: string | undefined,
  where: string,
  keyIdName = 'the current key id',
): CodecKeyring {
  if (keys.size === 0) throw new CodecKeyError(`${where}: no keys`);
  const id = currentKeyId?.trim() || (keys.size === 1 ? [...keys.keys()][0]! : undefined);
  if (id === undefined)
    throw new CodecKeyError(
      `${where} holds ${keys.size} keys (${[...keys.keys()].join(', ')}): set ${keyIdName} to the one to encrypt with`,
    );
  if (!keys.has(id))
    throw new CodecKeyError(
      `the current codec key ${id} is not among the keys (${[...keys.keys()].join(', ')})`,
    );
  return { currentKeyId: id, keys };
}

/**
 * The keyring the environment configures, or undefined when it configures none (then nothing is
 * encrypted: the sandbox and the tests run without keys unless they ask for them).
 */
export function keyringFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  source: CodecKeySource = defaultCodecKeySource,
): CodecKeyring | undefined {
  const inline = env[source.keysEnv];
  const file = env[source.keysFileEnv];
  if (inline && file)
    throw new CodecKeyError(`set either ${source.keysEnv} or ${source.keysFileEnv}, not both`);
  let keys: Map<string, Buffer>;
  let where: string;
  if (inline) {
    where = source.keysEnv;
    keys = parseCodecKeys(inline, where);
  } else if (file) {
    where = `${source.keysFileEnv}=${file}`;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new CodecKeyError(
        `${where}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    keys = parseCodecKeys(text, where);
  } else {
    if (env[source.keyIdEnv])
      throw new CodecKeyError(
        `${source.keyIdEnv} is set but neither ${source.keysEnv} nor ${source.keysFileEnv} is`,
      );
    return undefined;
  }
  return makeKeyring(keys, env[source.keyIdEnv], where, source.keyIdEnv);
}
