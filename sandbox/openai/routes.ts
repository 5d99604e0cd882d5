// The twin's routes: the Admin API (admin key), the data endpoints the runbook probes (project key), and
// the sandbox's control endpoints. Handlers return a Reply; the server adds request ids and faults.
import { HttpError, paginate } from './http';
import type { EkmEngine } from './ekm';
import type { FaultInjector } from './faults';
import type { UsageTrail } from './trail';
import { seedTrail } from './trailSeed';
import { batchObject, fileObject, modelObject, responseObject } from './objects';
import { cryptoKeyName, parseGcpRegistration } from './gcp/registration';
import { KeyAccessDenied } from './provider';
import {
  newId,
  nowSeconds,
  type ExternalKey,
  type GcpExternalKey,
  type Project,
  type RegisteredExternalKey,
  type StoredObject,
  type TwinStore,
} from './state';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface TwinBehaviour {
  /** How validate answers a failure: an error status (default) or 200 with `status: "failure"`. */
  validateFailure: 'error' | 'status';
  /** A second registration of the same key, role and external id: refused (default) or a new external key. */
  duplicateRegistration: 'refuse' | 'allow';
}

export interface RouteContext {
  method: string;
  params: string[];
  query: URLSearchParams;
  body: () => Promise<Record<string, unknown>>;
  /** The project whose API key authenticated a data call. */
  project?: Project;
  store: TwinStore;
  ekm: EkmEngine;
  faults: FaultInjector;
  behaviour: TwinBehaviour;
  /** The usage trail LookupEvents answers from (seeded through /_twin/trail/seed). */
  trail: UsageTrail;
}

export type Handler = (ctx: RouteContext) => Promise<Reply>;
export type Auth = 'admin' | 'project';
export interface Route {
  method: string;
  pattern: RegExp;
  auth: Auth;
  handler: Handler;
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new HttpError(
      400,
      `Missing required parameter: '${field}'.`,
      'invalid_request_error',
      'missing_required_parameter',
      field,
    );
  }
  return value.trim();
}

function findExternalKey(store: TwinStore, id: string): RegisteredExternalKey {
  const key = store.data.externalKeys.find((k) => k.id === id);
  if (!key)
    throw new HttpError(
      404,
      `The external key ${id} was not found`,
      'invalid_request_error',
      'not_found',
      'external_key_id',
    );
  return key;
}

function findProject(store: TwinStore, id: string): Project {
  const project = store.data.projects.find((p) => p.id === id);
  if (!project)
    throw new HttpError(
      404,
      `No project found with id '${id}'.`,
      'invalid_request_error',
      'not_found',
      'project_id',
    );
  return project;
}

/** Archived projects "cannot be used or updated". */
function findActiveProject(store: TwinStore, id: string): Project {
  const project = findProject(store, id);
  if (project.status === 'archived') {
    throw new HttpError(
      400,
      'Archived projects cannot be updated.',
      'invalid_request_error',
      'project_archived',
    );
  }
  return project;
}

function projectKeyView(key: RegisteredExternalKey, store: TwinStore) {
  const projects = store.data.projects.filter((p) => p.external_key_id === key.id && p.status === 'active');
  // workspace_id names a ChatGPT workspace bound to the key; the twin's keys serve API projects only.
  return { ...key, api_project_ids: projects.map((p) => p.id), workspace_id: null };
}

const arn = {
  role: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
  kms: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+$/,
};

/** The AWS body: role, key and external id, checked before anything is asked of KMS. */
function awsCandidate(
  b: Record<string, unknown>,
  name: string,
  { store, behaviour }: RouteContext,
): ExternalKey {
  const role_arn = requireString(b, 'role_arn');
  const kms_arn = requireString(b, 'kms_arn');
  const external_id = requireString(b, 'external_id');
  if (!arn.role.test(role_arn))
    throw new HttpError(
      400,
      `Invalid 'role_arn': expected an IAM role ARN.`,
      'invalid_request_error',
      'invalid_value',
      'role_arn',
    );
  if (!arn.kms.test(kms_arn))
    throw new HttpError(
      400,
      `Invalid 'kms_arn': expected a KMS key or alias ARN.`,
      'invalid_request_error',
      'invalid_value',
      'kms_arn',
    );
  const duplicate = store.data.externalKeys.find(
    (k) =>
      k.type === 'aws' && k.kms_arn === kms_arn && k.role_arn === role_arn && k.external_id === external_id,
  );
  refuseDuplicate(duplicate, behaviour, 'kms_arn');
  return {
    ...registrationCommon(b, name),
    type: 'aws',
    role_arn,
    kms_arn,
    external_id,
  };
}

/** A second registration of the same key and access is refused (409), unless the behaviour allows it. */
function refuseDuplicate(
  duplicate: { id: string } | undefined,
  behaviour: RouteContext['behaviour'],
  param: string,
): void {
  if (duplicate && behaviour.duplicateRegistration === 'refuse')
    throw new HttpError(
      409,
      `This key is already registered as external key ${duplicate.id}.`,
      'invalid_request_error',
      'external_key_already_registered',
      param,
    );
}

/** What every registration answers with, whatever the cloud. */
function registrationCommon(b: Record<string, unknown>, name: string) {
  return {
    id: newId('extkey'),
    object: 'organization.external_key' as const,
    created_at: nowSeconds(),
    name,
    purpose: typeof b.purpose === 'string' ? b.purpose : 'ekm',
  };
}

/** The GCP body: OpenAI's workload identity at the customer and the key in parts (gcp/registration.ts). */
function gcpCandidate(
  b: Record<string, unknown>,
  name: string,
  { store, behaviour }: RouteContext,
): GcpExternalKey {
  const fields = parseGcpRegistration(b);
  const sameKey = (k: GcpExternalKey) =>
    cryptoKeyName(k) === cryptoKeyName(fields) &&
    k.workload_identity_project_number === fields.workload_identity_project_number &&
    k.workload_identity_pool_id === fields.workload_identity_pool_id &&
    k.workload_identity_provider_id === fields.workload_identity_provider_id &&
    k.audience === fields.audience;
  const duplicate = store.data.externalKeys.find((k) => k.type === 'gcp' && sameKey(k));
  refuseDuplicate(duplicate, behaviour, 'kms_key_name');
  return {
    ...registrationCommon(b, name),
    ...fields,
  };
}

const registerExternalKey: Handler = async (ctx) => {
  const { body, store, ekm } = ctx;
  const b = await body();
  const type = requireString(b, 'type');
  // Only the clouds the twin can reach a KMS in.
  const supported: string[] = ekm.keyTypes();
  if (!supported.includes(type)) {
    throw new HttpError(
      400,
      `Invalid 'type': the sandbox twin supports ${supported.map((t) => `'${t}'`).join(' and ') || 'no cloud'} (got '${type}').`,
      'invalid_request_error',
      'invalid_value',
      'type',
    );
  }
  const name = requireString(b, 'name');
  const candidate = type === 'gcp' ? gcpCandidate(b, name, ctx) : awsCandidate(b, name, ctx);
  // OpenAI checks that it can reach the key before answering.
  const check = await ekm.checkAccess(candidate);
  if (!check.ok) {
    throw new HttpError(
      400,
      `Unable to access the KMS key with the provided configuration: ${check.code}: ${check.message}`,
      'invalid_request_error',
      'external_key_access_failed',
    );
  }
  store.data.externalKeys.push(candidate);
  store.audit('external_key.registered', { external_key: { id: candidate.id, name, type } });
  store.save();
  return ok(projectKeyView(candidate, store), 201);
};

const validateExternalKey: Handler = async ({ params, store, ekm, behaviour }) => {
  const key = findExternalKey(store, params[0]!);
  const check = await ekm.checkAccess(key);
  if (check.ok) return ok({ status: 'success' });
  const error = `An error surfaced from the cloud provider: ${check.code}: ${check.message}`;
  if (behaviour.validateFailure === 'status') return ok({ status: 'failure', error });
  throw new HttpError(400, error, 'invalid_request_error', 'external_key_validation_failed');
};

const deleteExternalKey: Handler = async ({ params, store }) => {
  const key = findExternalKey(store, params[0]!);
  if (store.data.projects.some((p) => p.external_key_id === key.id && p.status === 'active')) {
    throw new HttpError(
      400,
      'This external key is associated with active projects. Please archive the projects before deleting the external key.',
      'invalid_request_error',
      'external_key_in_use',
    );
  }
  store.data.externalKeys = store.data.externalKeys.filter((k) => k !== key);
  store.audit('external_key.removed', { external_key: { id: key.id, name: key.name } });
  store.save();
  return ok({ object: 'organization.external_key.deleted', id: key.id, deleted: true });
};

const createProject: Handler = async ({ body, store }) => {
  const b = await body();
  const name = requireString(b, 'name');
  const externalKeyId =
    b.external_key_id === undefined || b.external_key_id === null
      ? null
      : requireString(b, 'external_key_id');
  if (externalKeyId) findExternalKey(store, externalKeyId);
  const project: Project = {
    id: newId('proj'),
    object: 'organization.project',
    name,
    created_at: nowSeconds(),
    archived_at: null,
    status: 'active',
    external_key_id: externalKeyId,
  };
  store.data.projects.push(project);
  store.audit('project.created', { data: { name, external_key_id: externalKeyId } }, project);
  store.save();
  return ok(project);
};

const archiveProject: Handler = async ({ params, store }) => {
  const project = findProject(store, params[0]!);
  // Archiving is irreversible; archiving twice answers the archived project.
  if (project.status !== 'archived') {
    project.status = 'archived';
    project.archived_at = nowSeconds();
    store.audit('project.archived', {}, project);
    store.save();
  }
  return ok(project);
};

const updateProject: Handler = async ({ params, body, store }) => {
  const project = findActiveProject(store, params[0]!);
  const b = await body();
  if ('external_key_id' in b) {
    throw new HttpError(
      400,
      "A project's external key cannot be changed: archive it and create a new project.",
      'invalid_request_error',
      'invalid_value',
      'external_key_id',
    );
  }
  project.name = requireString(b, 'name');
  store.save();
  return ok(project);
};

const createServiceAccount: Handler = async ({ params, body, store }) => {
  const project = findActiveProject(store, params[0]!);
  const name = requireString(await body(), 'name');
  const value = store.newProjectApiKey(project.id);
  store.save();
  const created_at = nowSeconds();
  return ok({
    object: 'organization.project.service_account',
    id: newId('svc_acct'),
    name,
    role: 'member',
    created_at,
    api_key: {
      object: 'organization.project.service_account.api_key',
      value,
      name: 'Secret Key',
      created_at,
      id: newId('key'),
    },
  });
};

const listAuditLogs: Handler = async ({ query, store }) => {
  const types = query.getAll('event_types[]');
  const projects = query.getAll('project_ids[]');
  const gte = Number(query.get('effective_at[gte]') ?? -Infinity);
  const items = [...store.data.auditLogs]
    .reverse()
    .filter(
      (e) =>
        (!types.length || types.includes(e.type)) &&
        (!projects.length || projects.includes(e.project?.id ?? '')) &&
        e.effective_at >= gte,
    );
  return ok(paginate(items, query));
};

// --- data endpoints: the project's own API key -----------------------------------------------------

function ownObject(ctx: RouteContext, kind: StoredObject['kind'], id: string): StoredObject {
  const object = ctx.store.data.objects.find(
    (o) => o.id === id && o.kind === kind && o.projectId === ctx.project!.id,
  );
  if (!object)
    throw new HttpError(404, `No such ${kind}: '${id}'`, 'invalid_request_error', 'not_found', 'id');
  return object;
}

async function readProtected(ctx: RouteContext, object: StoredObject): Promise<string> {
  try {
    return await ctx.ekm.readObject(object);
  } catch (err) {
    if (err instanceof KeyAccessDenied) {
      throw new HttpError(
        403,
        `Unable to access this data: your organization's KMS key could not be used (${err.code}).`,
        'invalid_request_error',
        'external_key_access_denied',
      );
    }
    throw err;
  }
}

const getBatch: Handler = async (ctx) => ok(batchObject(ownObject(ctx, 'batch', ctx.params[0]!)));

/** A file's metadata: like a batch's status, not sealed under the key (the twin's choice). */
const getFile: Handler = async (ctx) => ok(fileObject(ownObject(ctx, 'file', ctx.params[0]!)));

const getFileContent: Handler = async (ctx) => {
  const file = ownObject(ctx, 'file', ctx.params[0]!);
  return {
    status: 200,
    body: await readProtected(ctx, file),
    headers: { 'content-type': 'application/octet-stream' },
  };
};

const getResponse: Handler = async (ctx) => {
  const response = ownObject(ctx, 'response', ctx.params[0]!);
  const sealed = JSON.parse(await readProtected(ctx, response)) as Record<string, unknown>;
  return ok(responseObject(response, sealed));
};

const baseModels = ['gpt-4o-mini', 'gpt-4.1', 'text-embedding-3-small'];
const baseModelCreated = 1715367049;

const getModel: Handler = async (ctx) => {
  const id = decodeURIComponent(ctx.params[0]!);
  if (baseModels.includes(id)) return ok(modelObject(id, baseModelCreated, 'system'));
  const model = ownObject(ctx, 'model', id);
  // Using a fine-tuned model needs its weights, which are sealed under the project's key.
  await readProtected(ctx, model);
  return ok(modelObject(id, model.createdAt, ctx.store.data.orgId));
};

/** The control probe: not protected by the key, so it works whatever the key's state. */
const listModels: Handler = async (ctx) => {
  const own = ctx.store.data.objects.filter((o) => o.kind === 'model' && o.projectId === ctx.project!.id);
  return ok({
    object: 'list',
    data: [
      ...baseModels.map((id) => modelObject(id, baseModelCreated, 'system')),
      ...own.map((m) => modelObject(m.id, m.createdAt, ctx.store.data.orgId)),
    ],
  });
};

// --- control ------------------------------------------------------------------------------------------

const addFault: Handler = async ({ body, faults }) => ok(faults.add(await body()), 201);
const listFaults: Handler = async ({ faults }) => ok({ object: 'list', data: faults.list() });
const clearFaults: Handler = async ({ faults }) => {
  faults.clear();
  return ok({ deleted: true });
};
const clearCache: Handler = async ({ ekm }) => {
  ekm.cache.clear();
  return ok({ cleared: true });
};

const seg = '([^/]+)';
const r = (method: string, path: string, auth: Auth, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path.replace(/:id/g, seg)}$`),
  auth,
  handler,
});

export const routes: Route[] = [
  r('GET', '/v1/organization/external_keys', 'admin', async ({ query, store }) => {
    // The page is cut first and only its keys are viewed: each view looks through every project, so
    // viewing the whole organisation per page made a listing of N keys cost N² × projects.
    const page = paginate(store.data.externalKeys, query);
    return ok({ ...page, data: page.data.map((k) => projectKeyView(k, store)) });
  }),
  r('POST', '/v1/organization/external_keys', 'admin', registerExternalKey),
  r('GET', '/v1/organization/external_keys/:id', 'admin', async ({ params, store }) =>
    ok(projectKeyView(findExternalKey(store, params[0]!), store)),
  ),
  r('DELETE', '/v1/organization/external_keys/:id', 'admin', deleteExternalKey),
  r('POST', '/v1/organization/external_keys/:id/validate', 'admin', validateExternalKey),
  r('GET', '/v1/organization/projects', 'admin', async ({ query, store }) =>
    ok(
      paginate(
        store.data.projects.filter((p) => query.get('include_archived') === 'true' || p.status === 'active'),
        query,
      ),
    ),
  ),
  r('POST', '/v1/organization/projects', 'admin', createProject),
  r('GET', '/v1/organization/projects/:id', 'admin', async ({ params, store }) =>
    ok(findProject(store, params[0]!)),
  ),
  r('POST', '/v1/organization/projects/:id', 'admin', updateProject),
  r('POST', '/v1/organization/projects/:id/archive', 'admin', archiveProject),
  r('POST', '/v1/organization/projects/:id/service_accounts', 'admin', createServiceAccount),
  r('GET', '/v1/organization/audit_logs', 'admin', listAuditLogs),
  r('GET', '/v1/batches/:id', 'project', getBatch),
  r('GET', '/v1/files/:id', 'project', getFile),
  r('GET', '/v1/files/:id/content', 'project', getFileContent),
  r('GET', '/v1/responses/:id', 'project', getResponse),
  r('GET', '/v1/models', 'project', listModels),
  r('GET', '/v1/models/:id', 'project', getModel),
  r('GET', '/_twin/faults', 'admin', listFaults),
  r('POST', '/_twin/faults', 'admin', addFault),
  r('DELETE', '/_twin/faults', 'admin', clearFaults),
  r('POST', '/_twin/cache/clear', 'admin', clearCache),
  r('POST', '/_twin/trail/seed', 'admin', seedTrail),
];
