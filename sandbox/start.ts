// `npm start`: the local rehearsal sandbox. Starts on loopback, in order, the Temporal dev server (Web UI,
// SQLite state in .data/, the ekm search attributes), moto (AWS KMS, IAM, STS), the demo organisation,
// and the ekm worker; waits until each answers; prints what to try next. Ctrl-C or SIGTERM stops
// everything it started. Ports: EKM_TEMPORAL_PORT (7233), EKM_UI_PORT (8233), EKM_MOTO_PORT (5050).
import * as path from 'node:path';
import { defaultTaskQueue } from '../common/taskQueue';
import { dataDir, logsDir, projectRoot } from './paths';
import { assertPortFree, portFromEnv, PortInUseError } from './ports';
import { liveServices, logTail, stopAll, type ServiceProcess } from './process';
import { seedDemoOrganisation } from './seed';
import { startMotoServer, startTemporalDevServer } from './services';
import { startWorkerProcess } from './workerProcess';

const rel = (file: string) => path.relative(process.cwd(), file) || '.';

let stopping = false;
async function shutdown(code: number, why?: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (why) console.log(`\nekm sandbox: ${why}; stopping ${liveServices.size} service(s) …`);
    await stopAll();
    console.log('ekm sandbox: stopped.');
  }
  process.exit(code);
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(0, `${signal} received`));
  }
  const temporalPort = portFromEnv('EKM_TEMPORAL_PORT', 7233);
  const uiPort = portFromEnv('EKM_UI_PORT', temporalPort + 1000);
  const motoPort = portFromEnv('EKM_MOTO_PORT', 5050);
  await assertPortFree(temporalPort, 'Temporal server', 'EKM_TEMPORAL_PORT');
  await assertPortFree(uiPort, 'Temporal Web UI', 'EKM_UI_PORT');
  await assertPortFree(motoPort, 'moto, the local AWS', 'EKM_MOTO_PORT');

  const dbFile = path.join(dataDir(), 'temporal.sqlite');
  console.log('ekm sandbox: starting the Temporal dev server …');
  const temporal = await startTemporalDevServer({ port: temporalPort, uiPort, dbFile });
  console.log('ekm sandbox: starting moto (AWS KMS, IAM, STS) …');
  const moto = await startMotoServer({ port: motoPort });
  const demo = await seedDemoOrganisation(moto.endpoint);
  console.log('ekm sandbox: starting the ekm worker …');
  const worker = await startWorkerProcess({
    temporalAddress: temporal.address,
    config: {
      sandbox: true,
      taskQueue: defaultTaskQueue,
      aws: { region: demo.aws.region, endpoint: moto.endpoint },
    },
  });

  const cli =
    path.relative(process.cwd(), projectRoot) === '' ? 'npx ekm' : `npx --prefix ${rel(projectRoot)} ekm`;
  const env = temporalPort === 7233 ? '' : `TEMPORAL_ADDRESS=${temporal.address} `;
  console.log(`
ekm sandbox is up — everything on 127.0.0.1:

  Temporal Web UI   ${temporal.uiUrl}
  Temporal server   ${temporal.address}, namespace default (state kept in ${rel(dbFile)})
  AWS (moto)        ${moto.endpoint}: KMS, IAM, STS (moto keeps nothing: re-seeded on every start)
  ekm worker        task queue ${defaultTaskQueue}
  demo key          ${demo.aws.keyArn} (${demo.aws.keyAlias})
  logs              ${rel(logsDir())}

Try next, in another terminal:
  ${env}${cli} check                               is everything connected?
  ${env}${cli} key inspect --key ${demo.aws.keyAlias}    read the demo key through a workflow
  then open ${temporal.uiUrl} and find the run (filter: EkmProvider="aws")

Ctrl-C stops everything.`);

  const died: ServiceProcess = await Promise.race(
    [temporal, moto, worker].map((service) => service.exited.then(() => service)),
  );
  if (!stopping) {
    console.error(
      `\nekm sandbox: ${died.name} exited (${await died.exited}); its log ends with:\n${logTail(died.logFile)}`,
    );
    await shutdown(1);
  }
}

main().catch(async (err: unknown) => {
  console.error(
    `ekm sandbox: ${err instanceof PortInUseError ? err.message : ((err as Error).message ?? String(err))}`,
  );
  await shutdown(1);
});
