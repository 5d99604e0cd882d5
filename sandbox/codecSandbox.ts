// The sandbox's payload encryption: a codec key generated once into .data/ (kept across restarts, as the
// SQLite history it encrypts is) and the codec server, in this process on loopback, for the Web UI. A
// sandbox key is a rehearsal key: it sits in a file beside the data it protects, which production must
// never do.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codecFromEnvironment, defaultCodecKeySource } from '../codec';
import { startCodecServer, type RunningCodecServer } from '../codec/server';
import { dataDir } from './paths';

export const sandboxCodecKeyId = 'sandbox-1';

export interface SandboxCodec {
  /** The codec server's URL: the dev server's --ui-codec-endpoint. */
  url: string;
  /** What the worker and the CLI need in their environment to encrypt and decrypt alike. */
  env: Record<string, string>;
  keyFile: string;
  close(): Promise<void>;
}

/** The sandbox key file, created (mode 0600) on first use. */
export function sandboxCodecKeyFile(): string {
  const file = path.join(dataDir(), 'codec-keys');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir(), { recursive: true });
    fs.writeFileSync(
      file,
      `# the sandbox's payload-encryption key (ekm codec); losing it makes the sandbox's runs unreadable\n${sandboxCodecKeyId}:${randomBytes(32).toString('base64')}\n`,
      { mode: 0o600, flag: 'wx' },
    );
  }
  return file;
}

/**
 * Starts the codec server on loopback (sandbox mode: no caller authentication) for the Web UI at
 * `uiOrigin`. `port` 0 picks a free one.
 */
export async function startSandboxCodec(options: { port: number; uiOrigin: string }): Promise<SandboxCodec> {
  const keyFile = sandboxCodecKeyFile();
  const env = {
    [defaultCodecKeySource.keysFileEnv]: keyFile,
    [defaultCodecKeySource.keyIdEnv]: sandboxCodecKeyId,
  };
  const codec = codecFromEnvironment(env)!;
  const server: RunningCodecServer = await startCodecServer({
    codec,
    host: '127.0.0.1',
    port: options.port,
    uiOrigin: options.uiOrigin,
    // Quiet: the Web UI decodes on every page view.
    log: () => undefined,
  });
  return { url: server.url, env, keyFile, close: () => server.close() };
}
