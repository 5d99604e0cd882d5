// The CLI's Temporal client, from Temporal's environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE).
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { PayloadCodec } from '@temporalio/common';
import * as fs from 'node:fs';
import { codecFromEnvironment, CodecKeyError, defaultCodecKeySource, keylessCodec } from '../codec';
import { sandboxDescriptionFile } from './commands/sandboxDescribe';
import { CliError, ExitCode } from './errors';
import { temporalCloudReason } from './temporalCloud';

export interface CliClient {
  client: Client;
  address: string;
  namespace: string;
  /** Why this is Temporal Cloud (an API key, a Cloud endpoint or namespace id); undefined when self-hosted. */
  temporalCloud?: string;
  close(): Promise<void>;
}

/**
 * The codec the CLI's environment configures (EKM_CODEC_KEYS or EKM_CODEC_KEYS_FILE, EKM_CODEC_KEY_ID),
 * the same keys the worker has. Without keys the CLI still sends clear input (a worker with keys reads
 * it), and a run's encrypted values end in an error that says which key to set, not "unknown encoding".
 */
function cliPayloadCodec(address: string): PayloadCodec {
  try {
    return (
      codecFromEnvironment(sandboxCodecEnvironment(address)) ??
      keylessCodec(
        (keyId) =>
          new CliError(
            `this run's payloads are encrypted (codec key ${keyId}): set EKM_CODEC_KEYS or EKM_CODEC_KEYS_FILE (and EKM_CODEC_KEY_ID) to the worker's codec keys`,
          ),
      )
    );
  } catch (err) {
    if (err instanceof CodecKeyError)
      throw new CliError(`payload encryption: ${err.message}`, ExitCode.usage);
    throw err;
  }
}

/**
 * Talking to the sandbox `npm start` runs (the address its description names), with no codec keys set,
 * the CLI uses the sandbox's key file — as `npm start`'s worker does — so the README's commands work as
 * they are. Any other server needs the keys in the environment.
 */
function sandboxCodecEnvironment(address: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env[defaultCodecKeySource.keysEnv] || env[defaultCodecKeySource.keysFileEnv]) return env;
  let description: { temporal?: { address?: string }; codec?: { keyFile?: string; keyId?: string } };
  try {
    description = JSON.parse(fs.readFileSync(sandboxDescriptionFile(env), 'utf8')) as typeof description;
  } catch {
    return env;
  }
  const sandboxAddress = description.temporal?.address;
  const same = (a: string) => a.replace(/^localhost:/, '127.0.0.1:');
  if (!sandboxAddress || !description.codec?.keyFile || same(sandboxAddress) !== same(address)) return env;
  return {
    ...env,
    [defaultCodecKeySource.keysFileEnv]: description.codec.keyFile,
    [defaultCodecKeySource.keyIdEnv]: description.codec.keyId,
  };
}

export async function connectClient(): Promise<CliClient> {
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const address = connectionOptions.address ?? 'localhost:7233';
  const payloadCodec = cliPayloadCodec(address);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions, address, connectTimeout: 5000 });
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${address} (${(err as Error).message}): start the sandbox with \`npm start\`, or set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY) or a TEMPORAL_PROFILE for your cluster.`,
      ExitCode.unreachable,
    );
  }
  return {
    client: new Client({
      connection,
      namespace,
      dataConverter: { payloadCodecs: [payloadCodec] },
    }),
    address,
    namespace,
    temporalCloud: temporalCloudReason({ address, namespace, apiKey: Boolean(connectionOptions.apiKey) }),
    close: () => connection.close(),
  };
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(fn: (c: CliClient) => Promise<T>): Promise<T> {
  const c = await connectClient();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
