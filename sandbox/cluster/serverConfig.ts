// The Temporal server's static configuration for the PostgreSQL cluster: every service in one process,
// each on its own loopback port, several history shards, and PostgreSQL (plugin postgres12) for both the
// default store and visibility — SQL visibility, where the ekm search attributes live in the database.
import { stringify } from 'yaml';

/** The ports one server process listens on (all on 127.0.0.1). */
export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export const clusterPortNames: readonly (keyof ClusterPorts)[] = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
];

export interface ServerConfigInput {
  ports: ClusterPorts;
  postgres: { port: number; user: string; password: string };
  /** Fixed for the life of the database: Temporal cannot change it afterwards. */
  historyShards: number;
  dynamicConfigFile: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export const defaultHistoryShards = 4;
export const temporalDatabase = 'temporal';
export const visibilityDatabase = 'temporal_visibility';

function sqlStore(input: ServerConfigInput, databaseName: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${input.postgres.port}`,
      connectProtocol: 'tcp',
      user: input.postgres.user,
      password: input.postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

const service = (grpcPort: number, membershipPort: number, extra: object = {}) => ({
  rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
});

export function renderServerConfig(input: ServerConfigInput): string {
  if (!Number.isInteger(input.historyShards) || input.historyShards < 1) {
    throw new Error(`historyShards: ${input.historyShards} is not a shard count: use a whole number ≥ 1`);
  }
  const { ports } = input;
  const config = {
    log: { stdout: true, level: input.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.historyShards,
      datastores: {
        'postgres-default': sqlStore(input, temporalDatabase, 20),
        'postgres-visibility': sqlStore(input, visibilityDatabase, 4),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
    },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
  return stringify(config);
}

/**
 * Dynamic configuration: search attributes registered through the operator API are visible at once
 * (not after the cache's refresh), and ids fit the SQL schema's 255-character columns with a clear error.
 */
export function renderDynamicConfig(): string {
  return stringify({
    'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
    'limit.maxIDLength': [{ value: 255, constraints: {} }],
  });
}
