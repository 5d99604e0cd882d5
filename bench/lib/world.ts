// The benchmarks' world, started here as the tests start theirs (test/fixtures/services.ts): the Temporal
// dev server (in memory, headless), moto recording every request (for the exactly-once checks), the OpenAI
// twin in a process of its own, and the ekm worker as a process (so it can be killed and measured) — all
// on free loopback ports, all stopped at the end.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DemoOrganisation } from '../../sandbox/openai/demo';
import { freePort } from '../../sandbox/ports';
import { stopAll, type ServiceProcess } from '../../sandbox/process';
import {
  startMotoServer,
  startTemporalDevServer,
  type MotoServer,
  type TemporalServer,
} from '../../sandbox/services';
import { startWorkerProcess } from '../../sandbox/workerProcess';
import type { WorkerConfigInput } from '../../worker/config';
import { testRevokeTimings } from '../../test/fixtures/revokeTimings';
import type { TrailLookup } from '../../sandbox/openai/trail';
import type { OrganisationSize, TwinAnswer, TwinProjectState, TwinRequest } from './twinHost';

export const benchApprovers = ['alice@example.com', 'bob@example.com'];

/** The worker settings a benchmark may change: its revocation timings (the cache wait above all). */
export type RevokeSettings = NonNullable<WorkerConfigInput['revoke']>;

/** The tests' sandbox worker timings (test/fixtures/revoke.ts sandboxWorkerFor): seconds, not an hour. */
export const testRevokeSettings: RevokeSettings = testRevokeTimings;

/**
 * For many runs at once: the tests' timings, but the windows in which OpenAI must confirm the revocation
 * and the probes must be denied as long as production's — a busy worker takes longer than 20 s to
 * confirm, and a run that escalates to a person would stop the benchmark, not measure it.
 */
export const manyRunsSettings: RevokeSettings = {
  ...testRevokeSettings,
  validateWindowSeconds: 900,
  probeWindowSeconds: 1800,
};

export class BenchWorld {
  readonly taskQueue = 'ekm-bench';
  /** The keys of the organisation as last seeded (freshOrganisation): what `take` hands out. */
  organisations: DemoOrganisation[] = [];
  /** The size of every organisation seeded so far, in order (the results say which each benchmark ran in). */
  readonly organisationSizes: OrganisationSize[] = [];
  worker?: ServiceProcess;
  private used = 0;
  /** Keys seeded since the start: names them (moto keeps every role and key, so a name is never reused). */
  private seeded = 0;
  private nextRequest = 0;
  private readonly pending = new Map<number, (answer: TwinAnswer) => void>();
  private workers = 0;

  private constructor(
    readonly temporal: TemporalServer,
    readonly moto: MotoServer,
    readonly motoRecording: string,
    readonly twinProcess: ChildProcess,
    readonly twinUrl: string,
    readonly adminKey: string,
    readonly connection: Connection,
    readonly client: Client,
    readonly evidenceDir: string,
    /** The quota layer's proxy in front of moto (bench/lib/twinHost.ts): counts, and refuses once turned on. */
    readonly awsQuotaEndpoint: string,
  ) {
    twinProcess.on('message', (answer: TwinAnswer) => {
      this.pending.get(answer.id)?.(answer);
      this.pending.delete(answer.id);
    });
  }

  static async start(options: { cacheTtlSeconds: number }): Promise<BenchWorld> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-bench-'));
    const temporal = await startTemporalDevServer({ port: await freePort(), logName: 'bench-temporal' });
    // moto writes every request it answers to this file: the exactly-once checks count the changes there.
    const motoRecording = path.join(scratch, 'moto-recording.jsonl');
    process.env.MOTO_ENABLE_RECORDING = 'True';
    process.env.MOTO_RECORDER_FILEPATH = motoRecording;
    const moto = await startMotoServer({ port: await freePort() }).finally(() => {
      delete process.env.MOTO_ENABLE_RECORDING;
      delete process.env.MOTO_RECORDER_FILEPATH;
    });
    const twinProcess = fork(
      path.join(__dirname, 'twinHost.js'),
      [JSON.stringify({ awsEndpoint: moto.endpoint, cacheTtlSeconds: options.cacheTtlSeconds })],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const ready = await new Promise<{ ready: string; adminKey: string; awsQuota: string }>(
      (resolve, reject) => {
        twinProcess.once('message', (m) =>
          resolve(m as { ready: string; adminKey: string; awsQuota: string }),
        );
        twinProcess.once('exit', (code) =>
          reject(new Error(`the twin exited (${code}) before it was ready`)),
        );
      },
    );
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    const evidenceDir = path.join(scratch, 'evidence');
    return new BenchWorld(
      temporal,
      moto,
      motoRecording,
      twinProcess,
      ready.ready,
      ready.adminKey,
      connection,
      client,
      evidenceDir,
      ready.awsQuota,
    );
  }

  private ask(request: Omit<TwinRequest, 'id'>): Promise<TwinAnswer & { ok: true }> {
    const id = ++this.nextRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (answer) => (answer.ok ? resolve(answer) : reject(new Error(answer.error))));
      this.twinProcess.send({ id, ...request });
    });
  }

  /**
   * Empties the twin's organisation (every registration and project, bench/lib/twinHost.ts) and seeds
   * `count` keys into it, each with its own role, registration and two projects; `take` then hands out
   * these. A revocation lists every registration and project of the organisation (OpenAI's Admin API has
   * no filter), so a benchmark measures its own scenario only in an organisation holding its own keys.
   * Runs the previous benchmark left must be ended first: their projects are gone.
   */
  async freshOrganisation(count: number): Promise<{ removed: OrganisationSize }> {
    const { removed } = await this.ask({ emptyOrganisation: true });
    this.organisations = [];
    this.used = 0;
    if (count > 0) {
      const answer = await this.ask({ seed: { count, prefix: `b${this.seeded}` } });
      this.organisations = answer.organisations!;
      this.seeded += count;
    }
    this.organisationSizes.push({
      externalKeys: this.organisations.length,
      projects: this.organisations.reduce((n, o) => n + o.openai.projects.length, 0),
    });
    return { removed: removed! };
  }

  /** Keys no run has used yet: every run revokes a key of its own. */
  take(count: number): DemoOrganisation[] {
    if (this.used + count > this.organisations.length)
      throw new Error(
        `the benchmark needs more keys than its organisation was seeded with (${this.organisations.length}): raise its keysNeeded`,
      );
    return this.organisations.slice(this.used, (this.used += count));
  }

  /** The twin's trail's LookupEvents calls from this index on (every call since it started: from 0). */
  trailLookups(from = 0): Promise<TrailLookup[]> {
    return this.ask({ lookupsFrom: from }).then((a) => a.lookups!);
  }

  projects(): Promise<TwinProjectState[]> {
    return this.ask({ projects: true }).then((a) => a.projects!);
  }

  /**
   * (Re)starts the worker with these revocation timings (and, for the usage scan, its usage section); the
   * previous one is stopped gracefully first. `quotas`: the worker's quota section, its AWS calls then
   * going through the quota layer's proxy.
   */
  async startWorker(
    revoke: RevokeSettings,
    more: Pick<WorkerConfigInput, 'usage' | 'quotas'> = {},
  ): Promise<ServiceProcess> {
    await this.worker?.stop();
    const projects = this.organisations.flatMap((o) => o.openai.projects);
    const projectEnv = Object.fromEntries(
      projects.map((p, i) => [`EKM_BENCH_PROJECT_KEY_${i + 1}`, p.apiKey]),
    );
    const policy = { approvers: benchApprovers, quorum: 1, deadlineSeconds: 86400 };
    const config: WorkerConfigInput = {
      // A sandbox worker: votes need no signature here (signing is not what these benchmarks measure).
      sandbox: true,
      taskQueue: this.taskQueue,
      aws: {
        region: 'us-east-1',
        endpoint: more.quotas ? this.awsQuotaEndpoint : this.moto.endpoint,
        cloudTrailEndpoint: this.twinUrl,
      },
      openai: {
        baseUrl: `${this.twinUrl}/v1`,
        adminKeyEnv: 'OPENAI_ADMIN_KEY',
        projectKeys: Object.fromEntries(projects.map((p, i) => [p.id, `EKM_BENCH_PROJECT_KEY_${i + 1}`])),
      },
      revoke,
      usage: { deliveryLagSeconds: 1, propagationGraceSeconds: 1, ...more.usage },
      ...(more.quotas ? { quotas: more.quotas } : {}),
      watchdog: { pollSeconds: 30 },
      approvals: {
        gates: { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy },
        signers: {},
      },
      evidence: { directory: this.evidenceDir },
      shutdownGraceSeconds: 5,
    };
    this.worker = await startWorkerProcess({
      temporalAddress: this.temporal.address,
      config,
      env: { OPENAI_ADMIN_KEY: this.adminKey, ...projectEnv },
      logName: `bench-worker-${++this.workers}`,
    });
    return this.worker;
  }

  /** SIGKILL to the worker's process group: a crash, nothing flushed, its sticky caches gone. */
  async killWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    process.kill(-worker.child.pid!, 'SIGKILL');
    await worker.exited;
  }

  /** The pids whose CPU each benchmark reports. */
  pids(): Record<string, number | undefined> {
    return {
      'ekm worker': this.worker?.hasExited() ? undefined : this.worker?.child.pid,
      'Temporal dev server': this.temporal.child.pid,
      moto: this.moto.child.pid,
      'OpenAI twin': this.twinProcess.pid,
      'benchmark (client)': process.pid,
    };
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    if (this.twinProcess.connected) this.twinProcess.disconnect();
    await stopAll();
  }
}
