// One place that assembles an ekm worker, used by the worker process and by the tests alike.
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type EkmActivities } from '../activities';
import { createAwsClients } from '../activities/aws/clients';
import { directoryEvidenceStore } from '../activities/evidence/store';
import { createAdminApi } from '../activities/openai/adminApi';
import { createDataApi } from '../activities/openai/dataApi';
import type { WorkerConfig } from './config';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  config: WorkerConfig;
  /** A prebuilt workflow bundle (tests build one per run); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Replaces the activities built from `config` (tests that need a stand-in say so). */
  activities?: Partial<EkmActivities>;
  /** Further worker options (tests tune caching for the time-skipping server). */
  tuning?: Pick<WorkerOptions, 'maxCachedWorkflows'>;
}

export async function createEkmWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { openai } = options.config;
  const activities = {
    ...createActivities({
      config: options.config,
      aws: createAwsClients(options.config.aws),
      openai: {
        // Secrets are read from the worker's environment at call time, never from a run.
        api: createAdminApi({ baseUrl: openai.baseUrl, adminKey: () => process.env[openai.adminKeyEnv] }),
        data: createDataApi({
          baseUrl: openai.baseUrl,
          projectKey: (projectId) => {
            const variable = openai.projectKeys[projectId];
            return variable ? process.env[variable] : undefined;
          },
        }),
      },
      evidence: directoryEvidenceStore(options.config.evidence.directory),
    }),
    ...options.activities,
  };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.config.taskQueue,
    activities,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    shutdownGraceTime: `${options.config.shutdownGraceSeconds}s`,
    ...options.tuning,
  });
}
