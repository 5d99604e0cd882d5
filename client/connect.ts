// The CLI's Temporal client, from Temporal's environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE).
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { CliError, ExitCode } from './errors';

export interface CliClient {
  client: Client;
  address: string;
  namespace: string;
  close(): Promise<void>;
}

export async function connectClient(): Promise<CliClient> {
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const address = connectionOptions.address ?? 'localhost:7233';
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
    client: new Client({ connection, namespace }),
    address,
    namespace,
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
