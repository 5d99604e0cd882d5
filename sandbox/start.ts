// `npm start`: the local rehearsal sandbox. Starts on loopback, in order, the Temporal dev server (Web UI,
// SQLite state in .data/, the ekm search attributes), moto (AWS KMS, IAM, STS), the OpenAI twin with a
// freshly seeded demo organisation, and the ekm worker; waits until each answers; writes what it seeded
// to .data/sandbox.json (`ekm sandbox describe`); prints what to try next. Ctrl-C or SIGTERM stops
// everything it started. Ports: EKM_TEMPORAL_PORT (7233), EKM_UI_PORT (8233), EKM_MOTO_PORT (5050),
// EKM_OPENAI_PORT (5060); EKM_OPENAI_CACHE_TTL_SECONDS (3600) sets the twin's key cache.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultTaskQueue } from '../common/taskQueue';
import { dataDir, logsDir, projectRoot } from './paths';
import { assertPortFree, portFromEnv, PortInUseError } from './ports';
import { liveServices, logTail, stopAll, type ServiceProcess } from './process';
import { seedDemoOrganisation } from './openai/demo';
import type { TwinBehaviour } from './openai/routes';
import { startOpenAiTwin, type OpenAiTwin } from './openai/twin';
import { startMotoServer, startTemporalDevServer } from './services';
import { startWorkerProcess } from './workerProcess';

const rel = (file: string) => path.relative(process.cwd(), file) || '.';

let twin: OpenAiTwin | undefined;
let stopping = false;
async function shutdown(code: number, why?: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (why) console.log(`\nekm sandbox: ${why}; stopping ${liveServices.size} service(s) …`);
    await stopAll();
    await twin?.close();
    console.log('ekm sandbox: stopped.');
  }
  process.exit(code);
}

/** The twin's choices where OpenAI's behaviour is not public (README: "The OpenAI twin"). */
function twinBehaviourFromEnv(): Partial<TwinBehaviour> {
  const pick = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = process.env[name];
    if (value === undefined || value === '') return undefined;
    if (!allowed.includes(value as T)) throw new Error(`${name}=${value}: use one of ${allowed.join(', ')}.`);
    return value as T;
  };
  return {
    validateFailure: pick('EKM_OPENAI_VALIDATE_FAILURE', ['error', 'status'] as const),
    duplicateRegistration: pick('EKM_OPENAI_DUPLICATE_REGISTRATION', ['refuse', 'allow'] as const),
  };
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(0, `${signal} received`));
  }
  const temporalPort = portFromEnv('EKM_TEMPORAL_PORT', 7233);
  const uiPort = portFromEnv('EKM_UI_PORT', temporalPort + 1000);
  const motoPort = portFromEnv('EKM_MOTO_PORT', 5050);
  const openAiPort = portFromEnv('EKM_OPENAI_PORT', 5060);
  const ttlRaw = process.env.EKM_OPENAI_CACHE_TTL_SECONDS;
  const cacheTtlSeconds = ttlRaw ? Number(ttlRaw) : 3600;
  if (!Number.isFinite(cacheTtlSeconds) || cacheTtlSeconds < 0) {
    throw new Error(
      `EKM_OPENAI_CACHE_TTL_SECONDS=${ttlRaw} is not a number of seconds: use e.g. 60, or unset it for 3600.`,
    );
  }
  // Every setting is checked before anything starts.
  const behaviour = twinBehaviourFromEnv();
  await assertPortFree(temporalPort, 'Temporal server', 'EKM_TEMPORAL_PORT');
  await assertPortFree(uiPort, 'Temporal Web UI', 'EKM_UI_PORT');
  await assertPortFree(motoPort, 'moto, the local AWS', 'EKM_MOTO_PORT');
  await assertPortFree(openAiPort, 'the OpenAI twin', 'EKM_OPENAI_PORT');

  const dbFile = path.join(dataDir(), 'temporal.sqlite');
  console.log('ekm sandbox: starting the Temporal dev server …');
  const temporal = await startTemporalDevServer({ port: temporalPort, uiPort, dbFile });
  console.log('ekm sandbox: starting moto (AWS KMS, IAM, STS) …');
  const moto = await startMotoServer({ port: motoPort });
  // moto keeps nothing across restarts, so the twin's organisation (whose data depends on moto's keys) is
  // seeded afresh on every start too; see the README.
  const twinState = path.join(dataDir(), 'openai-twin.json');
  fs.rmSync(twinState, { force: true });
  console.log('ekm sandbox: starting the OpenAI twin and seeding the demo organisation …');
  twin = await startOpenAiTwin({
    port: openAiPort,
    stateFile: twinState,
    cacheTtlSeconds,
    aws: { endpoint: moto.endpoint, region: 'us-east-1' },
    behaviour,
  });
  const demo = await seedDemoOrganisation({ awsEndpoint: moto.endpoint, twin });
  const description = path.join(dataDir(), 'sandbox.json');
  fs.writeFileSync(
    description,
    JSON.stringify(
      {
        ...demo,
        temporal: { address: temporal.address, namespace: 'default', uiUrl: temporal.uiUrl },
        openaiCacheTtlSeconds: cacheTtlSeconds,
      },
      null,
      2,
    ),
  );
  console.log('ekm sandbox: starting the ekm worker …');
  const worker = await startWorkerProcess({
    temporalAddress: temporal.address,
    config: {
      sandbox: true,
      taskQueue: defaultTaskQueue,
      aws: { region: demo.aws.region, endpoint: moto.endpoint },
      openai: { baseUrl: `${twin.url}/v1`, adminKeyEnv: 'OPENAI_ADMIN_KEY' },
    },
    // The twin's admin key is a sandbox secret: it reaches the worker through its environment, as a real one would.
    env: { OPENAI_ADMIN_KEY: demo.openai.adminKey },
  });

  const cli =
    path.relative(process.cwd(), projectRoot) === '' ? 'npx ekm' : `npx --prefix ${rel(projectRoot)} ekm`;
  const env = temporalPort === 7233 ? '' : `TEMPORAL_ADDRESS=${temporal.address} `;
  console.log(`
ekm sandbox is up — everything on 127.0.0.1:

  Temporal Web UI   ${temporal.uiUrl}
  Temporal server   ${temporal.address}, namespace default (state kept in ${rel(dbFile)})
  AWS (moto)        ${moto.endpoint}: KMS, IAM, STS (moto keeps nothing: re-seeded on every start)
  OpenAI twin       ${twin.url}: Admin API + data endpoints, key cache ${cacheTtlSeconds}s, org ${demo.openai.orgId}
  ekm worker        task queue ${defaultTaskQueue}
  demo key          ${demo.aws.keyArn} (${demo.aws.keyAlias})
  demo role         ${demo.aws.roleArn}
  demo project      ${demo.openai.projects[0]!.id} on external key ${demo.openai.externalKeyId}
  logs              ${rel(logsDir())}

Try next, in another terminal:
  ${env}${cli} check                               is everything connected?
  ${env}${cli} sandbox describe --json             ids, endpoints and sandbox keys of the demo organisation
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
