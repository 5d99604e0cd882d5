// `npm start`: the local rehearsal sandbox. Starts on loopback, in order, the Temporal dev server (Web UI,
// SQLite state in .data/, the ekm search attributes), moto (AWS KMS, IAM, STS), the OpenAI twin with a
// freshly seeded demo organisation (two AWS KMS keys in moto and two Cloud KMS keys in the fake, each
// with its own role or binding, registered with the twin and holding its own projects' data), and the ekm
// worker; waits until each answers; writes what it seeded to .data/sandbox.json (`ekm sandbox describe`)
// and one revocation to rehearse per key (.data/revoke-examples/<key>.txt; the first of each cloud also in
// .data/revoke-example.txt and .data/revoke-example-gcp.txt); prints what to try next. Runs a previous
// sandbox left open are ended first (sandbox/leftoverRuns.ts). The worker and the dev server are
// supervised: one that dies is restarted (sandbox/supervisor.ts), their pids are in
// .data/sandbox-processes.json (`ekm sandbox kill-worker`). Ctrl-C or SIGTERM stops everything it
// started. Ports (defaults in sandboxDefaultPorts): EKM_TEMPORAL_PORT (7233), EKM_UI_PORT (8233),
// EKM_MOTO_PORT (5050), EKM_OPENAI_PORT (5065), EKM_GCP_KMS_PORT (5070, the Google Cloud KMS fake, in
// memory like moto), EKM_CODEC_PORT (5080, the codec server the Web UI decodes payloads through); the HTTP
// ones may not be fetch's "bad ports", which fetch clients refuse;
// EKM_OPENAI_CACHE_TTL_SECONDS (60 here, 3600 at OpenAI) sets the twin's key
// cache, and the sandbox worker waits it out plus a margin — a rehearsal takes minutes, not an hour.
// At scale (docs/sandbox-scale.md): `--keys N` seeds a fleet over two more AWS accounts, two regions and both
// clouds; moto sits behind a quota layer at EKM_MOTO_PORT that counts calls and, with `--throttle`
// [`--quota-scale X`], refuses past the clouds' published rates, as the Cloud KMS fake and the twin do.
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
import { isAlive, sandboxProcessesFileName, type SandboxProcesses } from '../common/sandboxProcesses';
import { writeDirAtomic, writeFileAtomic } from './atomicFile';
import { endLeftoverRuns, leftoverRunReason } from './leftoverRuns';
import { scheduleSweep } from './sweepSchedule';
import { Supervised } from './supervisor';
import { listSeededKeys, revokeFlagsFor, seedDemoKeys } from './demoKeys';
import { fleetExampleFor } from './fleetExample';
import type { TwinBehaviour } from './openai/routes';
import { startOpenAiTwin, type OpenAiTwin } from './openai/twin';
import { sandboxCodecKeyId, startSandboxCodec, type SandboxCodec } from './codecSandbox';
import { sandboxApproverKeys } from './approverKeys';
import { sandboxEvidenceKeyFile } from './evidenceKey';
import { startGcpKmsFake, type GcpKmsFake } from './gcp/kmsFake';
import { startMotoServer, startTemporalDevServer } from './services';
import { startWorkerProcess, taskQueueHasPoller } from './workerProcess';
import { freePort } from './ports';
import { QuotaBook } from './quota/quotaBook';
import { startAwsQuotaProxy, motoDefaultAccount, type AwsQuotaProxy } from './quota/awsProxy';
import { scaleOptionsFrom } from './scaleOptions';
import {
  sandboxWorkerRole,
  scaleAccounts,
  scaleRegions,
  seedScaleKeys,
  type SeededScaleKeys,
} from './scaleKeys';
import { directCli } from './cliCommand';

const rel = (file: string) => path.relative(process.cwd(), file) || '.';

/** The sandbox's approvers: anyone may type these names — signed approvals come with the trust work. */
const sandboxApprovers = ['alice@example.com', 'bob@example.com'];
const sandboxRequester = 'rita@example.com';

let twin: OpenAiTwin | undefined;
let gcpKms: GcpKmsFake | undefined;
let codec: SandboxCodec | undefined;
let awsQuota: AwsQuotaProxy | undefined;
let worker: Supervised | undefined;
let stopping: Promise<void> | undefined;
const processesFile = () => path.join(dataDir(), sandboxProcessesFileName);
const fleetExampleFile = () => path.join(dataDir(), 'fleet-example.yaml');
/** Stops every child, once: a second signal (Ctrl-C twice) waits for the same stop instead of orphaning them. */
async function shutdown(code: number, why?: string): Promise<never> {
  stopping ??= (async () => {
    if (why) console.log(`\nekm sandbox: ${why}; stopping ${liveServices.size} service(s) …`);
    // Nothing restarts the processes from here on, so their pids are no longer the sandbox's to kill.
    if (readProcesses()?.launcher === process.pid) fs.rmSync(processesFile(), { force: true });
    // The worker first: after a restart of the dev server, it is no longer the newest service.
    await worker?.current?.stop();
    await stopAll();
    await awsQuota?.close();
    await twin?.close();
    await gcpKms?.close();
    await codec?.close();
    console.log('ekm sandbox: stopped.');
  })();
  await stopping;
  process.exit(code);
}

function readProcesses(): SandboxProcesses | undefined {
  try {
    return JSON.parse(fs.readFileSync(processesFile(), 'utf8')) as SandboxProcesses;
  } catch {
    return undefined;
  }
}

/** Records a (re)started process's pid for `ekm sandbox kill-worker` and `kill-temporal`. */
function recordProcess(which: 'worker' | 'temporal', service: ServiceProcess, restarted: boolean): void {
  const processes: SandboxProcesses = readProcesses() ?? { launcher: process.pid };
  processes[which] = {
    pid: service.child.pid!,
    startedAt: new Date().toISOString(),
    restarts: restarted ? (processes[which]?.restarts ?? 0) + 1 : 0,
  };
  writeFileAtomic(processesFile(), JSON.stringify(processes, null, 2));
}

/**
 * What a previous sandbox wrote names its ids; a script that does not wait for "sandbox is up" must find
 * nothing rather than those, so they go before anything starts (and come back, whole, once seeded).
 */
function removePreviousSandboxFiles(examplesDir: string): void {
  const previous = readProcesses();
  if (previous && previous.launcher !== process.pid && isAlive(previous.launcher))
    throw new Error(
      `a sandbox is already running from ${rel(dataDir())} (npm start, pid ${previous.launcher}): stop it first, or give this one its own folder with EKM_DATA_DIR=<folder> (if no sandbox runs, delete ${rel(processesFile())}).`,
    );
  for (const stale of [
    processesFile(),
    path.join(dataDir(), 'sandbox.json'),
    path.join(dataDir(), 'sandbox-keys.json'),
    path.join(dataDir(), 'revoke-example.txt'),
    path.join(dataDir(), 'revoke-example-gcp.txt'),
    fleetExampleFile(),
    examplesDir,
  ])
    fs.rmSync(stale, { recursive: true, force: true });
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
  const scale = scaleOptionsFrom(process.argv.slice(2), process.env);
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

  const examplesDir = path.join(dataDir(), 'revoke-examples');
  // On a fresh clone the folder does not exist yet: everything below writes into it.
  fs.mkdirSync(dataDir(), { recursive: true });
  removePreviousSandboxFiles(examplesDir);
  // Claimed at once, so a second `npm start` on this folder is refused before it removes our files.
  writeFileAtomic(processesFile(), JSON.stringify({ launcher: process.pid } satisfies SandboxProcesses));

  const dbFile = path.join(dataDir(), 'temporal.sqlite');
  console.log('ekm sandbox: starting the Temporal dev server …');
  // Payloads are encrypted (a sandbox key in .data/, kept like the history it protects); the Web UI
  // decodes them through this codec server on loopback.
  codec = await startSandboxCodec({ port: codecPort, uiOrigin: `http://127.0.0.1:${uiPort}` });
  const codecUrl = codec.url;
  // Restarted on the same port and SQLite file, so every run's state survives the dev server's death.
  const temporalSupervisor = new Supervised({
    name: 'the Temporal dev server',
    start: () => startTemporalDevServer({ port: temporalPort, uiPort, dbFile, uiCodecEndpoint: codecUrl }),
    stopping: () => stopping !== undefined,
    onUp: (service, restarted) => {
      recordProcess('temporal', service, restarted);
      if (restarted)
        reconnectWorker().catch((err: unknown) =>
          console.error(`ekm sandbox: checking the worker after the dev server's restart: ${String(err)}`),
        );
    },
  });
  const temporal = await temporalSupervisor.begin();
  const ended = await endLeftoverRuns(temporal.address);
  if (ended.length)
    console.log(
      `ekm sandbox: ended ${ended.length} run(s) the previous sandbox left open (terminated: "${leftoverRunReason}"):\n${ended.map((r) => `  ${r.workflowId} (${r.type}, run ${r.runId})`).join('\n')}`,
    );
  console.log('ekm sandbox: starting moto (AWS KMS, IAM, STS) …');
  // moto listens on a port of its own; what everyone reaches at EKM_MOTO_PORT is the quota layer in front
  // of it (sandbox/quota/), which counts every call and, with --throttle, refuses past AWS's rates. Its
  // refusals stay off while the sandbox seeds.
  const quota = new QuotaBook({ enabled: false, scale: scale.quotaScale });
  const moto = await startMotoServer({ port: await freePort() });
  awsQuota = await startAwsQuotaProxy({ target: moto.endpoint, port: motoPort, book: quota });
  const aws = { endpoint: awsQuota.endpoint };
  console.log('ekm sandbox: starting the Google Cloud KMS fake (KMS, IAM, Cloud Logging) …');
  gcpKms = await startGcpKmsFake({ port: gcpKmsPort, projectId: 'ekm-sandbox', quota });
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
    quota,
  });
  const seeded = await seedDemoKeys({ awsEndpoint: aws.endpoint, fake: gcpKms, twin });
  // The first key of each cloud stays where sandbox.json has always described it; `keys` lists them all.
  const demo = seeded.aws[0]!;
  const gcpDemo = seeded.gcp[0]!;
  const keys = listSeededKeys(seeded, (name) => path.join(examplesDir, `${name}.txt`));
  const scaleKeysFile = path.join(dataDir(), 'sandbox-keys.json');
  let scaled: SeededScaleKeys | undefined;
  if (scale.keys > 0) {
    const began = Date.now();
    console.log(`ekm sandbox: seeding ${scale.keys} more keys (--keys) …`);
    scaled = await seedScaleKeys({ motoEndpoint: aws.endpoint, fake: gcpKms, twin, count: scale.keys });
    writeFileAtomic(
      scaleKeysFile,
      JSON.stringify(
        {
          accounts: scaleAccounts,
          regions: scaleRegions,
          keys: scaled.keys.map((k) => ({
            ...k,
            revokeFlags: revokeFlagsFor(k.provider === 'aws' ? { ...k, keyAlias: k.keyArn } : k),
          })),
        },
        null,
        2,
      ),
    );
    console.log(`ekm sandbox: seeded ${scale.keys} keys in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
  if (scale.trailEvents > 0)
    twin.trail.seed({ keyArn: demo.aws.keyArn, roleArn: demo.aws.roleArn, count: scale.trailEvents });
  // Seeding is done: from here on the quota layer counts afresh and, when asked, refuses.
  quota.configure({ enabled: scale.throttle });
  quota.reset();
  // The worker signs every evidence chain with this key, made once and kept (its .pub verifies them).
  const evidenceKey = sandboxEvidenceKeyFile();
  const description = path.join(dataDir(), 'sandbox.json');
  writeFileAtomic(
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
  projectKeys.push(
    ...(scaled?.projectApiKeys ?? []).map((p, i) => ({
      id: p.projectId,
      apiKey: p.apiKey,
      variable: `EKM_SANDBOX_SCALE_PROJECT_KEY_${i + 1}`,
    })),
  );
  const projectKeyEnv = Object.fromEntries(projectKeys.map((p) => [p.variable, p.apiKey]));
  const gate = { approvers: sandboxApprovers, quorum: 1, deadlineSeconds: 86400 };
  const people = sandboxApproverKeys([...sandboxApprovers, sandboxRequester]);
  const workerOptions: Parameters<typeof startWorkerProcess>[0] = {
    temporalAddress: temporal.address,
    config: {
      sandbox: true,
      taskQueue: defaultTaskQueue,
      aws: {
        region: demo.aws.region,
        endpoint: aws.endpoint,
        cloudTrailEndpoint: twin.url,
        // With --keys, keys in two more accounts: the worker assumes a role in each, as it would at AWS.
        ...(scaled && {
          accounts: Object.fromEntries([
            [motoDefaultAccount, {}],
            ...scaleAccounts.map((a) => [a, { credentials: { roleToAssume: sandboxWorkerRole(a) } }]),
          ]),
        }),
      },
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
        // Every gate the worker serves has a policy, or it would not start: rotations are approved too.
        gates: { revoke: gate, archive: gate, deletion: gate, restore: gate, rotate: gate },
        breakGlass: { approvers: [sandboxApprovers[0]!], quorum: 1, deadlineSeconds: 3600 },
        signers: Object.fromEntries(Object.entries(people).map(([who, p]) => [who, [p.publicKey]])),
      },
      evidence: { directory: path.join(dataDir(), 'evidence'), signingKeyFile: evidenceKey },
    },
    env: { OPENAI_ADMIN_KEY: demo.openai.adminKey, ...projectKeyEnv, ...codec.env },
  };
  const workerSupervisor = (worker = new Supervised({
    name: 'the ekm worker',
    // A worker started while the dev server is down would only fail to connect: it waits for the server.
    start: async () => {
      await temporalSupervisor.whenUp();
      // The sandbox may have begun to stop meanwhile: a worker spawned now would outlive it.
      if (stopping) throw new Error('the sandbox is stopping');
      return startWorkerProcess(workerOptions);
    },
    stopping: () => stopping !== undefined,
    onUp: (service, restarted) => recordProcess('worker', service, restarted),
  }));
  await workerSupervisor.begin();
  // Runs terminated or timed out (the restart's own terminations above included) are found and recorded
  // by the sweep, hourly; the schedule outlives restarts with the dev server's state.
  if (await scheduleSweep(temporal.address, defaultTaskQueue))
    console.log('ekm sandbox: scheduled the sweep of ended runs (hourly; `ekm schedule list`)');
  /**
   * After the dev server came back, the worker should poll it again by itself; one that does not within
   * the grace is restarted, so a run never waits for a worker that lost the server for good.
   */
  async function reconnectWorker(graceMs = 30_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && stopping === undefined) {
      if (await taskQueueHasPoller(temporal.address, 'default', defaultTaskQueue).catch(() => false)) {
        console.log('ekm sandbox: the ekm worker polls the restarted dev server.');
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (stopping === undefined)
      await worker?.restart(`it did not poll the restarted dev server within ${graceMs / 1000} s`);
  }

  const cli = directCli(projectRoot);
  const env = temporalPort === defaults.EKM_TEMPORAL_PORT ? '' : `TEMPORAL_ADDRESS=${temporal.address} `;
  const requestFlags = (ticket: string) => [
    `--requester ${sandboxRequester}`,
    `--signing-key ${rel(people[sandboxRequester]!.keyFile)}`,
    "--reason 'rehearsal of a key compromise'",
    `--ticket ${ticket}`,
  ];
  const commands = keys.map((key, i) => {
    const flags = [...revokeFlagsFor(key), ...requestFlags(`CHG-${i + 1}`)];
    return { key, command: `${env}${cli} revoke start \\\n  ${flags.join(' \\\n  ')}\n` };
  });
  // A fresh folder (the previous one went at start), filled aside and renamed into place whole.
  writeDirAtomic(examplesDir, (dir) => {
    for (const { key, command } of commands)
      fs.writeFileSync(path.join(dir, path.basename(key.revokeExample)), command);
  });
  // The README's walkthrough (and habit) use these two names for the first key of each cloud.
  for (const [name, file] of [
    ['aws-1', 'revoke-example.txt'],
    ['gcp-1', 'revoke-example-gcp.txt'],
  ] as const) {
    const first = commands.find((c) => c.key.name === name);
    if (first) writeFileAtomic(path.join(dataDir(), file), first.command);
  }
  writeFileAtomic(fleetExampleFile(), fleetExampleFor(scaled?.keys ?? keys, sandboxRequester));
  const fleetSigning = `--signing-key ${rel(people[sandboxRequester]!.keyFile)}`;
  console.log(`
ekm sandbox is up — everything on 127.0.0.1:

  Temporal Web UI   ${temporal.uiUrl}
  Temporal server   ${temporal.address}, namespace default (state kept in ${rel(dbFile)})
  AWS (moto)        ${aws.endpoint}: KMS, IAM, STS (moto keeps nothing: re-seeded on every start)
  quota layer       ${scale.throttle ? `on: AWS, Cloud KMS, Cloud Logging, the trail and the Admin API throttle past their published rates × ${scale.quotaScale}` : 'counting only (npm start -- --throttle [--quota-scale X] to refuse past the published rates)'};
                    calls per action: curl ${aws.endpoint}/_sandbox/calls (AWS, Cloud KMS) and ${twin.url}/_sandbox/calls (all: one ledger)
  OpenAI twin       ${twin.url}: Admin API + data endpoints, key cache ${cacheTtlSeconds}s, org ${demo.openai.orgId}
  codec server      ${codec.url}: payloads are encrypted (key in ${rel(codec.keyFile)}); the Web UI decodes through it
  GCP KMS (fake)    ${gcpKms.address}: Cloud KMS, IAM and Cloud Logging over gRPC (in memory; caller in header ${gcpKms.principalHeader})
  ekm worker        task queue ${defaultTaskQueue}; it and the dev server are restarted if they die (try \`sandbox kill-worker\`)
  demo key          ${demo.aws.keyArn} (${demo.aws.keyAlias})
  demo role         ${demo.aws.roleArn}
  demo project      ${demo.openai.projects[0]!.id} on external key ${demo.openai.externalKeyId}
  GCP demo key      ${gcpDemo.keyName}
  GCP demo project  ${gcpDemo.projects[0]!.id} on external key ${gcpDemo.externalKeyId}, granted to OpenAI's principal
                    ${gcpDemo.principal}
  seeded keys       ${keys.length}: ${keys.map((k) => k.name).join(', ')} — each its own role or binding, registration and projects
                    (the first of each cloud is the demo key above; \`sandbox describe\` lists them all)
  logs              ${rel(logsDir())}
${
  scaled
    ? `  more keys         ${scale.keys} (--keys) in ${rel(scaleKeysFile)}: AWS in accounts ${scaleAccounts.join(', ')} × regions ${scaleRegions.join(', ')}, a few shared roles per account, one in four in Cloud KMS
                    revoke one: ${env}${cli} revoke start <its "revokeFlags" from the file> --requester ${sandboxRequester} --signing-key ${rel(people[sandboxRequester]!.keyFile)} --reason '…' --ticket CHG-…
`
    : ''
}${
    scale.trailEvents > 0
      ? `  trail             ${scale.trailEvents} past uses of ${demo.aws.keyArn} seeded (--trail-events); more: POST ${twin.url}/_twin/trail/seed
`
      : ''
  }
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

Rehearse a fleet — ${scaled ? `the ${scaled.keys.length} --keys keys` : `all ${keys.length} seeded keys`} at once, one approval per gate (docs/fleet.md):
  ${env}${cli} fleet plan --file ${rel(fleetExampleFile())}
  ${env}${cli} fleet start --file ${rel(fleetExampleFile())} ${fleetSigning}
  ${env}${cli} fleet status <fleet id> --watch

Ctrl-C stops everything.`);

  // moto is not restarted: it keeps the seeded world in memory, so a new one would serve none of it.
  const motoDied = moto.exited.then(
    (how) =>
      `${moto.name} exited (${how}) and took the seeded AWS world with it; start the sandbox again. Its log ends with:\n${logTail(moto.logFile)}`,
  );
  const why = await Promise.race([temporalSupervisor.gaveUp, workerSupervisor.gaveUp, motoDied]);
  if (!stopping) {
    console.error(`\nekm sandbox: ${why}`);
    await shutdown(1);
  }
}

main().catch(async (err: unknown) => {
  console.error(
    `ekm sandbox: ${err instanceof PortInUseError ? err.message : ((err as Error).message ?? String(err))}`,
  );
  await shutdown(1);
});
