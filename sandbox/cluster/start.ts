// `npm run stack:cluster`: a self-hosted Temporal as a team runs one — the server built from Go on
// PostgreSQL, several history shards, SQL visibility with the ekm search attributes — on loopback, with
// its state in .data/cluster/ (EKM_DATA_DIR moves it). No worker and no sandbox world: it prints how to
// point workers and the CLI at it. Ctrl-C or SIGTERM stops the server, then PostgreSQL.
import * as path from 'node:path';
import { ekmSearchAttributes } from '../../common/searchAttributes';
import { dataDir, logsDir, projectRoot } from '../paths';
import { PortInUseError, portFromEnv, assertPortFree } from '../ports';
import { stopAll } from '../process';
import { ToolInstallError } from '../tools/install';
import { installClusterTools } from '../tools/installCluster';
import { resolveTools } from '../tools/resolve';
import { startTemporalCluster, type TemporalCluster } from './temporalCluster';

const rel = (p: string) => path.relative(process.cwd(), p) || '.';

let cluster: TemporalCluster | undefined;
let stopping: Promise<void> | undefined;

async function shutdown(code: number, why?: string): Promise<never> {
  stopping ??= (async () => {
    if (why) console.log(`\nekm cluster: ${why}; stopping the Temporal server, then PostgreSQL …`);
    await (cluster ? cluster.stop() : stopAll());
    console.log('ekm cluster: stopped.');
  })();
  await stopping;
  process.exit(code);
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(0, `${signal} received`));
  }
  const frontendPort = process.env.EKM_CLUSTER_PORT ? portFromEnv('EKM_CLUSTER_PORT', 0) : undefined;
  if (frontendPort !== undefined)
    await assertPortFree(frontendPort, 'the cluster frontend', 'EKM_CLUSTER_PORT');
  const tools = installClusterTools();
  const stateDir = path.join(dataDir(), 'cluster');
  console.log(
    `ekm cluster: starting PostgreSQL ${tools.postgres.version} and the Temporal server ${tools.temporal.version} (state in ${rel(stateDir)}) …`,
  );
  const began = Date.now();
  cluster = await startTemporalCluster({ tools, stateDir, frontendPort });
  const { address, namespace } = cluster;
  const temporalCli = rel(resolveTools().temporal);
  const env = `TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${namespace}`;
  const cli = rel(path.join(projectRoot, 'dist', 'client', 'cli.js'));
  console.log(`
ekm cluster is up in ${((Date.now() - began) / 1000).toFixed(0)} s — on 127.0.0.1:

  Temporal server   ${address} (gRPC), namespace ${namespace}; ${cluster.historyShards} history shards; built from Go (${tools.temporal.version})
  PostgreSQL        127.0.0.1:${cluster.postgres.port}, user ${cluster.postgres.user}, databases temporal and temporal_visibility
                    (password in ${rel(path.join(stateDir, 'postgres-password'))}; data in ${rel(path.join(stateDir, 'postgres'))})
  search attributes ${ekmSearchAttributes.map((key) => key.name).join(', ')} (SQL visibility)
  logs              ${rel(logsDir())}/cluster-temporal.log, cluster-postgres.log

Point workers and the CLI at it (Temporal's own environment variables):
  ${env} EKM_WORKER_CONFIG=<read.json> node ${cli} worker --role read
  ${env} EKM_WORKER_CONFIG=<mutating.json> node ${cli} worker --role mutating
  ${env} node ${cli} check
  ${temporalCli} --address ${address} --namespace ${namespace} workflow list --query 'EkmProvider="aws"'
  (docs/cluster.md: the split workers' files, what this costs, what it is not)

Ctrl-C stops the server, then PostgreSQL; the state stays for the next start.`);
  const died = await Promise.race([
    cluster.server.exited.then(
      (how) => `the Temporal server exited (${how}); its log: ${rel(cluster!.server.logFile)}`,
    ),
    cluster.postgres.exited.then(
      (how) => `PostgreSQL exited (${how}); its log: ${rel(cluster!.postgres.logFile)}`,
    ),
  ]);
  if (!stopping) {
    console.error(`\nekm cluster: ${died}`);
    await shutdown(1);
  }
}

main().catch(async (err: unknown) => {
  const known = err instanceof PortInUseError || err instanceof ToolInstallError;
  console.error(`ekm cluster: ${known ? err.message : ((err as Error).stack ?? String(err))}`);
  await shutdown(1);
});
