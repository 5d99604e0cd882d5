// Runs the ekm worker as a child process against the sandbox, the way a user runs it against their own
// Temporal: configured by environment and a worker-configuration file, nothing else.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { workflowPollers } from '../client/workflowPollers';
import type { WorkerConfigInput } from '../worker/config';
import { dataDir, logsDir, projectRoot } from './paths';
import { startProcess, waitUntilReady, type ServiceProcess } from './process';
import { sandboxAwsCredentials } from './openai/demo';

export interface WorkerProcessOptions {
  temporalAddress: string;
  namespace?: string;
  config: WorkerConfigInput;
  /** More environment for the worker (e.g. the sandbox twin's admin key). */
  env?: NodeJS.ProcessEnv;
  logName?: string;
  timeoutMs?: number;
}

/** True once some worker polls the task queue for workflow tasks. */
export async function taskQueueHasPoller(
  address: string,
  namespace: string,
  taskQueue: string,
): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    return (await workflowPollers(connection, namespace, taskQueue)) > 0;
  } finally {
    await connection.close();
  }
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<ServiceProcess> {
  const logName = options.logName ?? 'worker';
  const configFile = path.join(dataDir(), `${logName}.config.json`);
  fs.mkdirSync(dataDir(), { recursive: true });
  fs.writeFileSync(configFile, JSON.stringify(options.config, null, 2));
  const namespace = options.namespace ?? 'default';
  const worker = startProcess(
    'ekm worker',
    process.execPath,
    [path.join(projectRoot, 'dist/worker/main.js')],
    {
      logFile: path.join(logsDir(), `${logName}.log`),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: options.temporalAddress,
        TEMPORAL_NAMESPACE: namespace,
        EKM_WORKER_CONFIG: configFile,
        // moto accepts any credentials; these are obviously not real ones.
        AWS_ACCESS_KEY_ID: sandboxAwsCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: sandboxAwsCredentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
        METADATA_SERVER_DETECTION: 'none',
        ...options.env,
      },
    },
  );
  const taskQueue = options.config.taskQueue ?? 'ekm-lifecycle';
  try {
    // The log line shows that this process (not one that ran before it) is up; the poller, that it polls.
    const ready = async () =>
      worker.output().includes('ekm worker: polling') &&
      (await taskQueueHasPoller(options.temporalAddress, namespace, taskQueue));
    await waitUntilReady(worker, ready, {
      timeoutMs: options.timeoutMs ?? 120_000,
      intervalMs: 500,
    });
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return worker;
}
