// OpenAI's data plane as the runbook probes it: with a PROJECT API key (the admin key cannot read a
// project's data), on the same configured origin as the Admin API. The worker maps project ids to keys;
// a run names projects only, so no key ever enters a workflow.
//
// Which endpoints prove anything: only reads that decrypt data sealed under the customer's key fail once
// the key is revoked. A file's content, a stored response and a fine-tuned model (`ft:…`, whose weights
// are sealed) do; a batch's status and the model list do not, and neither does a base model. So the probes
// are the first three, the model list is the control call (it must answer while data is denied), and a
// "model" probe that is not `ft:` is refused: it could never be denied, so it would prove nothing.
import type { ProbeKind } from '../../common/revocationRequest';
import { AdminApiConfigError, AdminApiInputError, assertProjectId, createOpenAiCaller } from './adminApi';
import type { OpenAiAnswer } from './adminApi';

export interface DataApiSettings {
  baseUrl: string;
  /** The API key of a project the worker may probe, or undefined when it has none. Read at call time. */
  projectKey: (projectId: string) => string | undefined;
}

const objectIds: Record<ProbeKind, { pattern: RegExp; shape: string }> = {
  // OpenAI's file ids are `file-…`; the sandbox twin's are `file_…`.
  file: { pattern: /^file[-_][A-Za-z0-9_-]{1,200}$/, shape: 'a file id (file-…)' },
  response: { pattern: /^resp_[A-Za-z0-9_-]{1,200}$/, shape: 'a stored response id (resp_…)' },
  model: {
    pattern: /^ft:[A-Za-z0-9_:.-]{1,250}$/,
    shape:
      'a fine-tuned model (ft:…): a base model is not sealed under the customer key, so a probe of one is never denied',
  },
};

export function assertProbeObjectId(kind: ProbeKind, id: string): void {
  const rule = objectIds[kind];
  if (!rule)
    throw new AdminApiInputError(`probe kind ${JSON.stringify(kind)} is not file, response or model`);
  if (typeof id !== 'string' || !rule.pattern.test(id))
    throw new AdminApiInputError(`${kind} probe ${JSON.stringify(id)} is not ${rule.shape}`);
}

export function createDataApi(settings: DataApiSettings) {
  const send = createOpenAiCaller(settings.baseUrl);

  async function get(projectId: string, path: string): Promise<OpenAiAnswer> {
    assertProjectId(projectId);
    const key = settings.projectKey(projectId);
    if (!key) {
      throw new AdminApiConfigError(
        `the worker has no API key for project ${projectId}: give the worker a key of that project ` +
          "(e.g. a service account's API key) through its configuration (openai.projectKeys names the " +
          'environment variable that holds it); runs name the project only, never the key',
      );
    }
    // A 2xx body is the customer's data: only its arrival matters, so it is dropped unread.
    return await send({ method: 'GET', path, key, discardSuccessBody: true });
  }

  return {
    /** Decrypts: a batch output or uploaded file. */
    async getFileContent(projectId: string, fileId: string): Promise<OpenAiAnswer> {
      assertProbeObjectId('file', fileId);
      return await get(projectId, `files/${encodeURIComponent(fileId)}/content`);
    },
    /** Decrypts: a stored response. */
    async getResponse(projectId: string, responseId: string): Promise<OpenAiAnswer> {
      assertProbeObjectId('response', responseId);
      return await get(projectId, `responses/${encodeURIComponent(responseId)}`);
    },
    /** Decrypts: a fine-tuned model's weights (a base model would not). */
    async getModel(projectId: string, model: string): Promise<OpenAiAnswer> {
      assertProbeObjectId('model', model);
      return await get(projectId, `models/${encodeURIComponent(model)}`);
    },
    /** The control call: not protected by the key, so it answers whatever the key's state. */
    async listModels(projectId: string): Promise<OpenAiAnswer> {
      return await get(projectId, 'models');
    },
  };
}

export type DataApi = ReturnType<typeof createDataApi>;
