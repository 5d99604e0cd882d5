// The PostgreSQL-backed Temporal cluster: PostgreSQL, the schema, then the server built from Go with its
// configuration written into the state folder, the namespace and the ekm search attributes registered
// through the API. The server can be killed and started again on the same database (`startServer`).
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { ekmSearchAttributes } from '../../common/searchAttributes';
import { logsDir } from '../paths';
import { assertPortFree } from '../ports';
import { startProcess, waitUntilReady } from '../process';
import { registerSearchAttributes, temporalAnswers, type TemporalServer } from '../services';
import type { ClusterTools } from '../tools/installCluster';
import { startPostgres, type PostgresServer } from './postgres';
import { setUpSchema } from './schema';
import {
  clusterPortNames,
  defaultHistoryShards,
  renderDynamicConfig,
  renderServerConfig,
  type ClusterPorts,
} from './serverConfig';

export interface ClusterOptions {
  tools: ClusterTools;
  /** Where the database, the configuration and the chosen ports live (kept between runs). */
  stateDir: string;
  /** The frontend's port; a free one (the last one used, when still free) when omitted. */
  frontendPort?: number;
  historyShards?: number;
  namespace?: string;
  /** Faster, not crash-safe PostgreSQL (tests). */
  fast?: boolean;
}

export interface TemporalCluster {
  postgres: PostgresServer;
  server: TemporalServer;
  address: string;
  namespace: string;
  historyShards: number;
  /** Starts the server again on the same database and ports (after it was stopped or killed). */
  restartServer(): Promise<TemporalServer>;
  /** Stops the server, then PostgreSQL. */
  stop(): Promise<void>;
}

interface SavedState {
  ports: ClusterPorts;
  postgresPort: number;
  historyShards: number;
}

const portFree = (port: number) =>
  assertPortFree(port, 'cluster', 'EKM_CLUSTER_PORT').then(
    () => true,
    () => false,
  );

/**
 * The SQL schema keeps a member's RPC port in a SMALLINT (cluster_membership.rpc_port): a port above 32767
 * stops the server at start ("out of range for type smallint"), and the kernel's free ports are above it.
 */
export const highestClusterPort = 32767;
async function freeSmallPort(): Promise<number> {
  for (;;) {
    const port = 20000 + randomInt(highestClusterPort - 20000 + 1);
    if (await portFree(port)) return port;
  }
}

/** The ports of the last run when all are still free (the cluster's membership rows name them), else new ones. */
async function choosePorts(saved: SavedState | undefined, frontendPort: number | undefined) {
  const previous = saved ? [saved.postgresPort, ...clusterPortNames.map((n) => saved.ports[n])] : [];
  const reuse =
    saved !== undefined &&
    (frontendPort === undefined || frontendPort === saved.ports.frontend) &&
    (await Promise.all(previous.map(portFree))).every(Boolean);
  if (reuse) return { ports: saved.ports, postgresPort: saved.postgresPort };
  const taken = new Set<number>(frontendPort ? [frontendPort] : []);
  const fresh = async () => {
    for (;;) {
      const port = await freeSmallPort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const ports = {} as ClusterPorts;
  for (const name of clusterPortNames)
    ports[name] = name === 'frontend' && frontendPort ? frontendPort : await fresh();
  return { ports, postgresPort: await fresh() };
}

/** The namespace, then the ekm search attributes it lacks; retried while the frontend's caches catch up. */
async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const known = await connection.workflowService
      .describeNamespace({ namespace })
      .then(() => true)
      .catch(() => false);
    if (!known) {
      await connection.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
        .catch((err: Error & { code?: number }) => {
          // 6 = ALREADY_EXISTS: another start registered it first.
          if (err.code !== 6) throw err;
        });
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = ekmSearchAttributes.filter((key) => !(key.name in (customAttributes ?? {})));
        if (missing.length > 0) await registerSearchAttributes(address, namespace, missing);
        return;
      } catch (err) {
        // A namespace just registered is unknown to the frontend until its cache refreshes (seconds).
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await connection.close();
  }
}

export async function startTemporalCluster(options: ClusterOptions): Promise<TemporalCluster> {
  const { stateDir } = options;
  fs.mkdirSync(stateDir, { recursive: true });
  const stateFile = path.join(stateDir, 'cluster.json');
  const saved = fs.existsSync(stateFile)
    ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as SavedState)
    : undefined;
  const historyShards = saved?.historyShards ?? options.historyShards ?? defaultHistoryShards;
  if (options.historyShards !== undefined && options.historyShards !== historyShards) {
    throw new Error(
      `historyShards: this cluster's database in ${stateDir} was made with ${historyShards} shards and Temporal cannot change that; keep ${historyShards}, or use a new state folder for ${options.historyShards}`,
    );
  }
  if (options.frontendPort !== undefined && options.frontendPort > highestClusterPort) {
    throw new Error(
      `EKM_CLUSTER_PORT=${options.frontendPort}: above ${highestClusterPort}, the highest port Temporal's SQL schema can store for a cluster member; choose one from 1024 to ${highestClusterPort}.`,
    );
  }
  const { ports, postgresPort } = await choosePorts(saved, options.frontendPort);
  fs.writeFileSync(
    stateFile,
    JSON.stringify({ ports, postgresPort, historyShards } satisfies SavedState, null, 2),
  );

  const postgres = await startPostgres({
    tools: options.tools.postgres,
    stateDir,
    port: postgresPort,
    fast: options.fast,
  });
  try {
    setUpSchema(options.tools.temporal, postgres, stateDir);
    const dynamicConfigFile = path.join(stateDir, 'dynamicconfig.yaml');
    fs.writeFileSync(dynamicConfigFile, renderDynamicConfig());
    const configFile = path.join(stateDir, 'temporal-server.yaml');
    // It holds the database password: readable by its owner only.
    fs.writeFileSync(
      configFile,
      renderServerConfig({
        ports,
        postgres: { port: postgres.port, user: postgres.user, password: postgres.password },
        historyShards,
        dynamicConfigFile,
      }),
      { mode: 0o600 },
    );
    const address = `127.0.0.1:${ports.frontend}`;
    const namespace = options.namespace ?? 'default';
    const startServer = async (): Promise<TemporalServer> => {
      const proc = startProcess(
        'Temporal server (PostgreSQL)',
        options.tools.temporal.server,
        ['--config-file', configFile, '--allow-no-auth', 'start'],
        { logFile: path.join(logsDir(), 'cluster-temporal.log'), cwd: stateDir },
      );
      const server: TemporalServer = Object.assign(proc, { address });
      try {
        await waitUntilReady(server, () => temporalAnswers(address), { timeoutMs: 180_000, intervalMs: 500 });
        await registerNamespace(address, namespace);
        await waitUntilReady(server, () => temporalAnswers(address, namespace), { timeoutMs: 60_000 });
      } catch (err) {
        await server.stop();
        throw err;
      }
      return server;
    };
    const cluster: TemporalCluster = {
      postgres,
      server: await startServer(),
      address,
      namespace,
      historyShards,
      async restartServer() {
        cluster.server = await startServer();
        return cluster.server;
      },
      async stop() {
        await cluster.server.stop();
        await postgres.stop();
      },
    };
    return cluster;
  } catch (err) {
    await postgres.stop();
    throw err;
  }
}
