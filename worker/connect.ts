// The Temporal connection, from Temporal's own environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), so one
// worker binary runs against the dev server, a self-hosted cluster or Temporal Cloud.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';

export interface WorkerConnection {
  connection: NativeConnection;
  namespace: string;
  address: string;
}

export async function connectWorker(): Promise<WorkerConnection> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const address = connectionOptions.address ?? 'localhost:7233';
  const connection = await NativeConnection.connect({ ...connectionOptions, address });
  return { connection, namespace: namespace ?? 'default', address };
}
