// The worker's configuration: what runs may touch is decided here, never by a run's input. Read from the
// JSON file named by EKM_WORKER_CONFIG (or defaults when unset); secrets are not part of it — AWS
// credentials come from the default chain of the worker's environment.
import * as fs from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../common/keys';
import { defaultTaskQueue } from '../common/taskQueue';

const httpUrl = z
  .string()
  .url('must be a URL such as http://127.0.0.1:5000')
  .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL');

export const workerConfigSchema = z
  .object({
    taskQueue: z.string().min(1, 'must not be empty').default(defaultTaskQueue),
    /** True only for the local rehearsal sandbox; decides nothing yet but is recorded by every run. */
    sandbox: z.boolean().default(false),
    aws: z
      .object({
        region: z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')
          .default('us-east-1'),
        endpoint: httpUrl.optional(),
      })
      .strict()
      .prefault({}),
    openai: z
      .object({
        /** The only OpenAI host activities talk to; a run cannot name another. */
        baseUrl: httpUrl.default('https://api.openai.com/v1'),
        /** The environment variable holding the Admin API key (the key itself never sits in this file). */
        adminKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
          .default('OPENAI_ADMIN_KEY'),
        /**
         * How validate reports a revocation, as regular expressions matched against the answer's error
         * code and message. The defaults match the sandbox twin; add the real API's once it is known.
         */
        revokedMatchers: z
          .array(z.string().min(1))
          .default(['external_key_validation_failed', 'error surfaced from the cloud provider']),
      })
      .strict()
      .prefault({}),
    /** How long running activities get to finish when the worker is asked to stop. */
    shutdownGraceSeconds: z.number().int().min(0).max(3600).default(30),
  })
  .strict();

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
/** What a configuration file may say: every field optional, defaults filled in by parseWorkerConfig. */
export type WorkerConfigInput = z.input<typeof workerConfigSchema>;

export class WorkerConfigError extends Error {}

export function parseWorkerConfig(raw: unknown, source = 'worker configuration'): WorkerConfig {
  const parsed = workerConfigSchema.safeParse(raw);
  if (!parsed.success) throw new WorkerConfigError(`${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const file = env.EKM_WORKER_CONFIG;
  if (!file) return parseWorkerConfig({});
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WorkerConfigError(
      `EKM_WORKER_CONFIG=${file}: cannot read it as JSON (${(err as Error).message}); fix the file or unset the variable.`,
    );
  }
  return parseWorkerConfig(raw, file);
}
