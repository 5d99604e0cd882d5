// `npm start`: the local rehearsal sandbox. Starts on loopback, in order, the Temporal dev server (Web UI,
// SQLite state in .data/, the ekm search attributes), moto (AWS KMS, IAM, STS), the OpenAI twin with a
// freshly seeded demo organisation (two AWS KMS keys in moto and two Cloud KMS keys in the fake, each
// with its own role or binding, registered with the twin and holding its own projects' data), and the ekm
// worker; waits until each answers; writes what it seeded to .data/sandbox.json (`ekm sandbox describe`)
// and one revocation to rehearse per key (.data/revoke-examples/<key>.txt; the first of each cloud also in
// .data/revoke-example.txt and .data/revoke-example-gcp.txt); prints what to try next. Ctrl-C or
// SIGTERM stops everything it started. Ports (defaults in sandboxDefaultPorts): EKM_TEMPORAL_PORT (7233),
// EKM_UI_PORT (8233), EKM_MOTO_PORT (5050), EKM_OPENAI_PORT (5065), EKM_GCP_KMS_PORT (5070, the Google
// Cloud KMS fake, in memory like moto), EKM_CODEC_PORT (5080, the codec server the Web UI decodes
// payloads through); the HTTP ones may not be fetch's "bad ports", which fetch clients refuse;
// EKM_OPENAI_CACHE_TTL_SECONDS (60 here, 3600 at OpenAI) sets the twin's key
// cache, and the sandbox worker waits it out plus a margin — a rehearsal takes minutes, not an hour.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultTaskQueue } from '../common/taskQueue';
import { dataDir, logsDir, projectRoot } from './paths';
import {
  assertFetchablePort,
  assertPortFree,
  portFromEnv,
  PortInUseError,
  sandboxDefaultPorts as defaults,
} from './ports';
import { liveServices, logTail, stopAll, type ServiceProcess } from './process';
import { listSeededKeys, revokeFlagsFor, seedDemoKeys } from './demoKeys';
import type { TwinBehaviour } from './openai/routes';
import { startOpenAiTwin, type OpenAiTwin } from './openai/twin';
import { sandboxCodecKeyId, startSandboxCodec, type SandboxCodec } from './codecSandbox';
import { sandboxApproverKeys } from './approverKeys';
import { sandboxEvidenceKeyFile } from './evidenceKey';
import { startGcpKmsFake, type GcpKmsFake } from './gcp/kmsFake';
import { startMotoServer, startTemporalDevServer } from './services';
import { startWorkerProcess } from './workerProcess';

const rel = (file: string) => path.relative(process.cwd(), file) || '.';

/** The sandbox's approvers: anyone may type these names — signed approvals come with the trust work. */
const sandboxApprovers = ['alice@example.com', 'bob@example.com'];
const sandboxRequester = 'rita@example.com';

let twin: OpenAiTwin | undefined;
let gcpKms: GcpKmsFake | undefined;
let codec: SandboxCodec | undefined;
let stopping: Promise<void> | undefined;
/** Stops every child, once: a second signal (Ctrl-C twice) waits for the same stop instead of orphaning them. */
async function shutdown(code: number, why?: string): Promise<never> {
  stopping ??= (async () => {
    if (why) console.log(`\nekm sandbox: ${why}; stopping ${liveServices.size} service(s) …`);
    await stopAll();
    await twin?.close();
    await gcpKms?.close();
    await codec?.close();
    console.log('ekm sandbox: stopped.');
  })();
  await stopping;
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
  const temporalPort = portFromEnv('EKM_TEMPORAL_PORT', defaults.EKM_TEMPORAL_PORT);
  const uiPort = portFromEnv('EKM_UI_PORT', temporalPort + 1000);
  const motoPort = portFromEnv('EKM_MOTO_PORT', defaults.EKM_MOTO_PORT);
  const openAiPort = portFromEnv('EKM_OPENAI_PORT', defaults.EKM_OPENAI_PORT);
  const gcpKmsPort = portFromEnv('EKM_GCP_KMS_PORT', defaults.EKM_GCP_KMS_PORT);
  const codecPort = portFromEnv('EKM_CODEC_PORT', defaults.EKM_CODEC_PORT);
  const ttlRaw = process.env.EKM_OPENAI_CACHE_TTL_SECONDS;
  const cacheTtlSeconds = ttlRaw ? Number(ttlRaw) : 60;
  if (!Number.isInteger(cacheTtlSeconds) || cacheTtlSeconds < 0 || cacheTtlSeconds > 86400) {
    throw new Error(
      `EKM_OPENAI_CACHE_TTL_SECONDS=${ttlRaw} is not a whole number of seconds (0–86400): use e.g. 3600, or unset it for 60.`,
    );
  }
  // Every setting is checked before anything starts.
  const behaviour = twinBehaviourFromEnv();
  // Browsers and fetch-based clients (the openai package) talk HTTP to these; gRPC clients do not check.
  assertFetchablePort(uiPort, 'Temporal Web UI', 'EKM_UI_PORT');
  assertFetchablePort(motoPort, 'moto, the local AWS', 'EKM_MOTO_PORT');
  assertFetchablePort(openAiPort, 'the OpenAI twin', 'EKM_OPENAI_PORT');
  assertFetchablePort(codecPort, 'the codec server', 'EKM_CODEC_PORT');
  await assertPortFree(temporalPort, 'Temporal server', 'EKM_TEMPORAL_PORT');
  await assertPortFree(uiPort, 'Temporal Web UI', 'EKM_UI_PORT');
  await assertPortFree(motoPort, 'moto, the local AWS', 'EKM_MOTO_PORT');
  await assertPortFree(openAiPort, 'the OpenAI twin', 'EKM_OPENAI_PORT');
  await assertPortFree(gcpKmsPort, 'the Google Cloud KMS fake', 'EKM_GCP_KMS_PORT');
  await assertPortFree(codecPort, 'the codec server', 'EKM_CODEC_PORT');

  const dbFile = path.join(dataDir(), 'temporal.sqlite');
  console.log('ekm sandbox: starting the Temporal dev server …');
  // Payloads are encrypted (a sandbox key in .data/, kept like the history it protects); the Web UI
  // decodes them through this codec server on loopback.
  codec = await startSandboxCodec({ port: codecPort, uiOrigin: `http://127.0.0.1:${uiPort}` });
  const temporal = await startTemporalDevServer({
    port: temporalPort,
    uiPort,
    dbFile,
    uiCodecEndpoint: codec.url,
  });
  console.log('ekm sandbox: starting moto (AWS KMS, IAM, STS) …');
  const moto = await startMotoServer({ port: motoPort });
  console.log('ekm sandbox: starting the Google Cloud KMS fake (KMS, IAM, Cloud Logging) …');
  gcpKms = await startGcpKmsFake({ port: gcpKmsPort, projectId: 'ekm-sandbox' });
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
    // OpenAI's GCP keys are used through the fake, as OpenAI's workload-identity principal.
    gcp: { endpoint: gcpKms.address },
    behaviour,
  });
  const seeded = await seedDemoKeys({ awsEndpoint: moto.endpoint, fake: gcpKms, twin });
  // The first key of each cloud stays where sandbox.json has always described it; `keys` lists them all.
  const demo = seeded.aws[0]!;
  const gcpDemo = seeded.gcp[0]!;
  const examplesDir = path.join(dataDir(), 'revoke-examples');
  const keys = listSeededKeys(seeded, (name) => path.join(examplesDir, `${name}.txt`));
  // The worker signs every evidence chain with this key, made once and kept (its .pub verifies them).
  const evidenceKey = sandboxEvidenceKeyFile();
  const description = path.join(dataDir(), 'sandbox.json');
  fs.writeFileSync(
    description,
    JSON.stringify(
      {
        ...demo,
        gcp: gcpDemo,
        keys,
        temporal: { address: temporal.address, namespace: 'default', uiUrl: temporal.uiUrl },
        codec: { url: codec.url, keyFile: codec.keyFile, keyId: sandboxCodecKeyId },
        evidenceSigningKey: `${evidenceKey}.pub`,
        gcpKms: {
          address: gcpKms.address,
          projectId: gcpKms.projectId,
          principalHeader: gcpKms.principalHeader,
        },
        openaiCacheTtlSeconds: cacheTtlSeconds,
      },
      null,
      2,
    ),
  );
  console.log('ekm sandbox: starting the ekm worker …');
  // Project keys, like the admin key, are sandbox secrets: they reach the worker through its environment,
  // as real ones would; its configuration names only the variables.
  // Every seeded key's projects, numbered per cloud in seeding order (the first demo's keep _1, _2).
  const projectKeys = (['aws', 'gcp'] as const).flatMap((provider) =>
    keys
      .filter((k) => k.provider === provider)
      .flatMap((k) => k.projects)
      .map((p, i) => ({
        id: p.id,
        apiKey: p.apiKey,
        variable: `${provider === 'aws' ? 'EKM_SANDBOX_PROJECT_KEY' : 'EKM_SANDBOX_GCP_PROJECT_KEY'}_${i + 1}`,
      })),
  );
  const projectKeyEnv = Object.fromEntries(projectKeys.map((p) => [p.variable, p.apiKey]));
  const gate = { approvers: sandboxApprovers, quorum: 1, deadlineSeconds: 86400 };
  const people = sandboxApproverKeys([...sandboxApprovers, sandboxRequester]);
  const worker = await startWorkerProcess({
    temporalAddress: temporal.address,
    config: {
      sandbox: true,
      taskQueue: defaultTaskQueue,
      aws: { region: demo.aws.region, endpoint: moto.endpoint, cloudTrailEndpoint: twin.url },
      gcp: { projectId: gcpKms.projectId, endpoint: gcpKms.address },
      openai: {
        baseUrl: `${twin.url}/v1`,
        adminKeyEnv: 'OPENAI_ADMIN_KEY',
        projectKeys: Object.fromEntries(projectKeys.map((p) => [p.id, p.variable])),
      },
      revoke: {
        cacheWaitSeconds: cacheTtlSeconds + 5,
        validateConfirmations: 2,
        validateIntervalSeconds: 5,
        validateWindowSeconds: 120,
        probeWindowSeconds: 120,
        probeIntervalSeconds: 5,
      },
      // The twin lists OpenAI's KMS calls at once; the grace covers its last cached reads.
      usage: { deliveryLagSeconds: 5, propagationGraceSeconds: 5 },
      // The watchdog polls every half minute here and cancels a deletion at the first use it sees.
      watchdog: { pollSeconds: 30, cancelDeletionOnUse: true },
      approvals: {
        gates: { revoke: gate, archive: gate, deletion: gate, restore: gate },
        breakGlass: { approvers: [sandboxApprovers[0]!], quorum: 1, deadlineSeconds: 3600 },
        signers: Object.fromEntries(Object.entries(people).map(([who, p]) => [who, [p.publicKey]])),
      },
      evidence: { directory: path.join(dataDir(), 'evidence'), signingKeyFile: evidenceKey },
    },
    env: { OPENAI_ADMIN_KEY: demo.openai.adminKey, ...projectKeyEnv, ...codec.env },
  });

  const cli =
    path.relative(process.cwd(), projectRoot) === '' ? 'npx ekm' : `npx --prefix ${rel(projectRoot)} ekm`;
  const env = temporalPort === defaults.EKM_TEMPORAL_PORT ? '' : `TEMPORAL_ADDRESS=${temporal.address} `;
  const requestFlags = (ticket: string) => [
    `--requester ${sandboxRequester}`,
    `--signing-key ${rel(people[sandboxRequester]!.keyFile)}`,
    "--reason 'rehearsal of a key compromise'",
    `--ticket ${ticket}`,
  ];
  // A fresh folder: a start that seeds fewer keys must not leave commands for keys moto no longer has.
  fs.rmSync(examplesDir, { recursive: true, force: true });
  fs.mkdirSync(examplesDir, { recursive: true });
  keys.forEach((key, i) => {
    const flags = [...revokeFlagsFor(key), ...requestFlags(`CHG-${i + 1}`)];
    const command = `${env}${cli} revoke start \\\n  ${flags.join(' \\\n  ')}\n`;
    fs.writeFileSync(key.revokeExample, command);
    // The README's walkthrough (and habit) use these two names for the first key of each cloud.
    if (key.name === 'aws-1') fs.writeFileSync(path.join(dataDir(), 'revoke-example.txt'), command);
    if (key.name === 'gcp-1') fs.writeFileSync(path.join(dataDir(), 'revoke-example-gcp.txt'), command);
  });
  console.log(`
ekm sandbox is up — everything on 127.0.0.1:

  Temporal Web UI   ${temporal.uiUrl}
  Temporal server   ${temporal.address}, namespace default (state kept in ${rel(dbFile)})
  AWS (moto)        ${moto.endpoint}: KMS, IAM, STS (moto keeps nothing: re-seeded on every start)
  OpenAI twin       ${twin.url}: Admin API + data endpoints, key cache ${cacheTtlSeconds}s, org ${demo.openai.orgId}
  codec server      ${codec.url}: payloads are encrypted (key in ${rel(codec.keyFile)}); the Web UI decodes through it
  GCP KMS (fake)    ${gcpKms.address}: Cloud KMS, IAM and Cloud Logging over gRPC (in memory; caller in header ${gcpKms.principalHeader})
  ekm worker        task queue ${defaultTaskQueue}
  demo key          ${demo.aws.keyArn} (${demo.aws.keyAlias})
  demo role         ${demo.aws.roleArn}
  demo project      ${demo.openai.projects[0]!.id} on external key ${demo.openai.externalKeyId}
  GCP demo key      ${gcpDemo.keyName}
  GCP demo project  ${gcpDemo.projects[0]!.id} on external key ${gcpDemo.externalKeyId}, granted to OpenAI's principal
                    ${gcpDemo.principal}
  seeded keys       ${keys.length}: ${keys.map((k) => k.name).join(', ')} — each its own role or binding, registration and projects
                    (the first of each cloud is the demo key above; \`sandbox describe\` lists them all)
  logs              ${rel(logsDir())}

Try next, in another terminal:
  ${env}${cli} check                               is everything connected?
  ${env}${cli} sandbox describe --json             ids, endpoints and sandbox keys of the demo organisation
  ${env}${cli} key inspect --key ${demo.aws.keyAlias}    read the demo key through a workflow
  ${env}${cli} key inspect --key-name ${gcpDemo.keyName}
  ${env}${cli} usage --key-name ${gcpDemo.keyName} --principal ${gcpDemo.principal}
      the Cloud KMS demo key, and OpenAI's uses of it (from the fake's Data Access log)
  then open ${temporal.uiUrl} and find the runs (filter: EkmProvider="aws", or "gcp")

Rehearse a revocation (the README walks through it; approvers: ${sandboxApprovers.join(', ')}):
  sh ${rel(path.join(dataDir(), 'revoke-example.txt'))}   (the full command with the demo's ids; \`revoke plan\` takes the same flags)
  sh ${rel(path.join(dataDir(), 'revoke-example-gcp.txt'))}   (the same for the Cloud KMS key: remove OpenAI's binding)
  sh ${rel(examplesDir)}/<key>.txt   (one per seeded key, ${keys.map((k) => k.name).join(', ')}: rehearse several at once)
  ${env}${cli} status <workflow id> --watch
  ${env}${cli} approve <workflow id> --as alice@example.com --plan <hash from status> --signing-key ${rel(people['alice@example.com']!.keyFile)}
  (everyone's signing key is in ${rel(path.join(dataDir(), 'approver-keys'))}/; unsigned votes count here only, marked unauthenticated)

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
