// One place that assembles an ekm worker, used by the worker process and by the tests alike.
import { Client } from '@temporalio/client';
import type { PayloadCodec, UntypedActivities } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type EkmActivities } from '../activities';
import { createCloudClients } from '../providers/cloudActivities';
import {
  checkObjectLock,
  EvidenceSinkError,
  s3ClientFor,
  s3EvidenceStore,
} from '../activities/evidence/s3Store';
import {
  fingerprintOf,
  loadSigner,
  publicKeyFrom,
  sandboxSigner,
  SigningKeyError,
} from '../activities/evidence/signer';
import { loadOwnership, OwnershipSecretError, type Ownership } from '../activities/ownership';
import { directoryEvidenceStore, type EvidenceStore } from '../activities/evidence/store';
import { createAdminApi } from '../activities/openai/adminApi';
import { createDataApi } from '../activities/openai/dataApi';
import { isMutating } from '../providers/mutatingActivities';
import { codecFromEnvironment, CodecKeyError, defaultCodecKeySource } from '../codec';
import { refuseUngatedWorker, WorkerConfigError, type WorkerConfig } from './config';
import { quotasOf } from './quotas';
import { BuildIdError, workerDeploymentOptions } from './versioning';
import { processQuotaLimiter } from '../activities/quotas/limiters';
import { workflowsPath } from './workflowBundle';
import type { WorkerTracing } from './telemetry/tracing';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  config: WorkerConfig;
  /** A prebuilt workflow bundle (tests build one per run); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Replaces the activities built from `config` (tests that need a stand-in say so), or adds a test
   * harness's own (createKey): a product worker registers only what createActivities builds.
   */
  activities?: Partial<EkmActivities> & UntypedActivities;
  /** Further worker options (tests tune caching for the time-skipping server). */
  tuning?: Pick<WorkerOptions, 'maxCachedWorkflows'>;
  /** Encrypts payloads with this codec instead of the one the environment configures (tests). */
  payloadCodec?: PayloadCodec;
  /** Traces runs, activities and client calls (worker/telemetry/tracing.ts) when an OTLP endpoint is set. */
  tracing?: WorkerTracing;
  /** The build a versioned worker serves, instead of EKM_BUILD_ID or dist/build-info.json (tests: two builds). */
  buildId?: string;
}

/** The worker's Worker Versioning options (worker/versioning.ts), or a configuration error naming the fix. */
export function workerVersioning(
  config: WorkerConfig,
  buildId?: string,
): WorkerOptions['workerDeploymentOptions'] {
  try {
    return workerDeploymentOptions(config.versioning, buildId);
  } catch (err) {
    if (err instanceof BuildIdError) throw new WorkerConfigError(`worker configuration: ${err.message}`);
    throw err;
  }
}

/** The codec the worker's environment configures under `config.codec`, if any. */
export function workerPayloadCodec(config: WorkerConfig, env = process.env): PayloadCodec | undefined {
  const source = { ...defaultCodecKeySource, ...config.codec };
  let codec: PayloadCodec | undefined;
  try {
    // Required: a payload that arrives in clear is refused (codec/aesGcmCodec.ts says how), and logged.
    codec = codecFromEnvironment(env, source, {
      required: config.codec?.required === true,
      onRefused: (why) => console.warn(`ekm worker: ${why}`),
    });
  } catch (err) {
    if (err instanceof CodecKeyError) throw new WorkerConfigError(`payload encryption: ${err.message}`);
    throw err;
  }
  if (!codec && config.codec?.required)
    throw new WorkerConfigError(
      `payload encryption is required (codec.required) but neither ${source.keysEnv} nor ${source.keysFileEnv} is set`,
    );
  return codec;
}

/**
 * The evidence sink the configuration names, checked before the worker polls: the signing key must load,
 * and an S3 bucket must have Object Lock. Either failing is a configuration error naming the field.
 */
export async function createEvidenceStore(config: WorkerConfig): Promise<EvidenceStore> {
  const { evidence } = config;
  try {
    const signer = loadSigner(evidence);
    // The public key auditors verify with must be the one that signs: a mismatch would only show at audit.
    if (evidence.publicKey) {
      const named = fingerprintOf(publicKeyFrom(evidence.publicKey).export({ format: 'der', type: 'spki' }));
      if (!signer || signer.fingerprint !== named)
        throw new SigningKeyError(
          'evidence.publicKey',
          `is ${named}, but ${signer ? `the signing key is ${signer.fingerprint}` : 'no signing key is configured (evidence.signingKeyFile or signingKeyEnv)'}: give the signing key's own public half (its .pub file)`,
        );
    }
    if (!evidence.s3) {
      // A sandbox worker without a key gets its own in its evidence directory, made when first needed.
      if (!signer && config.sandbox)
        return directoryEvidenceStore(evidence.directory, () => sandboxSigner(evidence.directory));
      if (!signer)
        console.warn(
          'ekm worker: evidence.signingKeyFile/signingKeyEnv not set: evidence chains are written unsigned',
        );
      return directoryEvidenceStore(evidence.directory, signer);
    }
    const s3 = { ...evidence.s3, region: evidence.s3.region ?? config.aws.region };
    const client = s3ClientFor(s3);
    await checkObjectLock(client, s3);
    return s3EvidenceStore(s3, signer, { client });
  } catch (err) {
    if (err instanceof SigningKeyError || err instanceof EvidenceSinkError)
      throw new WorkerConfigError(`worker configuration: ${err.message}`);
    throw err;
  }
}

/** The queue a worker polls: the mutating worker the changes' queue, every other the runs' queue. */
export function workerTaskQueue(config: WorkerConfig): string {
  return config.role === 'mutating' ? config.mutatingTaskQueue! : config.taskQueue;
}

/** The worker's ownership secret (activities/ownership.ts), or a configuration error naming the field. */
export function workerOwnership(config: WorkerConfig, env = process.env): Ownership {
  try {
    return loadOwnership(
      {
        secretEnv: config.ownership.secretEnv,
        sandbox: config.sandbox,
        evidenceDirectory: config.evidence.directory,
      },
      env,
    );
  } catch (err) {
    if (err instanceof OwnershipSecretError)
      throw new WorkerConfigError(`worker configuration: ${err.message}`);
    throw err;
  }
}

export async function createEkmWorker(options: CreateWorkerOptions): Promise<Worker> {
  // The schema refuses this already; a configuration assembled in code is judged again before anything starts.
  refuseUngatedWorker(options.config);
  const workerDeployment = workerVersioning(options.config, options.buildId);
  const { openai } = options.config;
  const quotas = quotasOf(options.config);
  // The same buckets as the clouds' clients (createCloudClients): one budget per API per process.
  const limiter = processQuotaLimiter(quotas);
  const ownership = workerOwnership(options.config);
  // The mutating worker registers no evidence activity, and its credentials reach no evidence bucket.
  const evidence =
    options.config.role === 'mutating'
      ? directoryEvidenceStore(options.config.evidence.directory)
      : await createEvidenceStore(options.config);
  const payloadCodec = options.payloadCodec ?? workerPayloadCodec(options.config);
  // The worker's own reads of other runs (a lock's holder, the sweep of ended runs), over its connection
  // and with its codec: what it reads of a run (a termination's details) may be encrypted.
  const temporal = new Client({
    connection: options.connection,
    namespace: options.namespace,
    ...(payloadCodec ? { dataConverter: { payloadCodecs: [payloadCodec] } } : {}),
    ...(options.tracing ? { interceptors: options.tracing.clientInterceptors } : {}),
  });
  const activities = {
    ...createActivities({
      config: options.config,
      ...createCloudClients(options.config),
      openai: {
        // Secrets are read from the worker's environment at call time, never from a run.
        api: createAdminApi({
          baseUrl: openai.baseUrl,
          adminKey: () => process.env[openai.adminKeyEnv],
          beforeWrite: () => limiter.take('openaiAdminWrites'),
          beforeCall: () => limiter.take('openaiAdminCalls'),
        }),
        data: createDataApi({
          baseUrl: openai.baseUrl,
          projectKey: (projectId) => {
            const variable = openai.projectKeys[projectId];
            return variable ? process.env[variable] : undefined;
          },
        }),
      },
      evidence,
      ownership,
      temporal,
    }),
    ...options.activities,
  };
  const { role } = options.config;
  // A split worker registers only its side: the mutating worker no workflows and no reads, the read worker
  // no changes (a change scheduled on its queue by mistake would fail as unregistered, never run here).
  const mine =
    role === 'all'
      ? activities
      : Object.fromEntries(
          Object.entries(activities).filter(([name]) => isMutating(name) === (role === 'mutating')),
        );
  // A prebuilt bundle holds no tracing interceptors (they are bundled into the workflow code): a worker
  // that traces bundles at start instead, so its runs' spans are never silently missing.
  const workflows =
    role === 'mutating'
      ? {}
      : options.workflowBundle && !options.tracing
        ? { workflowBundle: options.workflowBundle }
        : { workflowsPath: workflowsPath() };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: workerTaskQueue(options.config),
    activities: mine,
    ...workflows,
    shutdownGraceTime: `${options.config.shutdownGraceSeconds}s`,
    // Activity starts a second; calls within an activity (a trail's pages) are limited by the buckets.
    ...(quotas.taskQueueActivitiesPerSecond
      ? { maxTaskQueueActivitiesPerSecond: quotas.taskQueueActivitiesPerSecond }
      : {}),
    ...(quotas.workerActivitiesPerSecond ? { maxActivitiesPerSecond: quotas.workerActivitiesPerSecond } : {}),
    // A trail read heartbeats its cursor after every page, and a read whose worker died resumes from the
    // last heartbeat the server got. The SDK sends them at most every 0.8 × the heartbeat timeout (24 s for
    // a trail read): a killed worker's read started over, 39 of 40 pages read twice (bench (e)). One a
    // second: at CloudTrail's 2 pages a second, a resumed read re-reads a few pages at most.
    maxHeartbeatThrottleInterval: '1s',
    // Only with keys: a worker without them writes clear payloads, as before encryption existed.
    ...(payloadCodec ? { dataConverter: { payloadCodecs: [payloadCodec] } } : {}),
    ...(workerDeployment ? { workerDeploymentOptions: workerDeployment } : {}),
    ...options.tuning,
    ...options.tracing?.workerOptions,
  });
}
