// The OpenAI twin driven by OpenAI's own Node client (the `openai` package, pinned): every endpoint the
// runbook uses parses into the client's types with the right values, and the twin's refusals arrive as the
// client's error classes. A customer's own scripts, or a future worker on the official client, would talk
// to the sandbox this way. Retries are off, so each error is the twin's first answer.
import assert from 'node:assert/strict';
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import OpenAI, {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { defaultModel } from '../../sandbox/openai/objects';
import { kmsPolicyFor, type DemoProject } from '../../sandbox/openai/demo';
import { call, startTwinWorld, testTtlSeconds, type TwinWorld } from '../fixtures/twin';

/** Explicit nulls keep OPENAI_* variables of whoever runs the tests out of the requests. */
const fromEnvironment = { organization: null, project: null, maxRetries: 0 } as const;

/** A client with a project's own API key: what the runbook's probes use. */
function projectClient(w: TwinWorld, apiKey: string): OpenAI {
  return new OpenAI({ ...fromEnvironment, apiKey, baseURL: `${w.twin.url}/v1` });
}

/** A client with the organisation's admin key, which the client sends to its Admin API methods. */
function adminClient(w: TwinWorld): OpenAI {
  return new OpenAI({ ...fromEnvironment, adminAPIKey: w.demo.openai.adminKey, baseURL: `${w.twin.url}/v1` });
}

/** Rejects with an instance of `kind` (always an APIError) and returns it for further checks. */
async function refused<E extends APIError>(
  promise: Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
): Promise<E> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof kind, `expected ${kind.name}, got ${String(caught)}`);
  assert.ok(caught instanceof APIError);
  assert.match(String(caught.requestID), /^req_/, 'the twin’s x-request-id reaches the error');
  return caught;
}

async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

const storedText = 'A stored response, sealed under the customer key.';

describe('the official openai client against the twin', function () {
  let world: TwinWorld;
  let project: DemoProject;
  before(async function () {
    world = await startTwinWorld();
    project = world.demo.openai.projects[0]!;
  });
  after(async () => {
    await world?.close();
  });

  it('reads the runbook’s data with the project key: batch, its output file and content, stored response, fine-tuned model, model list', async function () {
    const client = projectClient(world, project.apiKey);
    const { probes } = project;

    const { data: batch, request_id } = await client.batches.retrieve(probes.batchId).withResponse();
    assert.match(String(request_id), /^req_/);
    assert.equal(batch.id, probes.batchId);
    assert.equal(batch.object, 'batch');
    assert.equal(batch.status, 'completed');
    assert.equal(batch.endpoint, '/v1/responses');
    assert.equal(batch.output_file_id, probes.fileId);
    assert.match(batch.input_file_id, /^file_/);
    assert.deepEqual(batch.request_counts, { total: 1, completed: 1, failed: 0 });
    assert.equal(batch.expires_at, batch.created_at + 86400);

    const file = await client.files.retrieve(batch.output_file_id!);
    assert.equal(file.object, 'file');
    assert.equal(file.filename, 'batch_output.jsonl');
    assert.equal(file.purpose, 'batch_output');
    assert.equal(file.status, 'processed');
    const content = await (await client.files.content(file.id)).text();
    assert.equal(Buffer.byteLength(content), file.bytes);
    const line = JSON.parse(content.split('\n')[0]!) as {
      custom_id: string;
      response: { status_code: number };
    };
    assert.equal(line.custom_id, 'request-1');
    assert.equal(line.response.status_code, 200);

    const response = await client.responses.retrieve(probes.responseId);
    assert.equal(response.id, probes.responseId);
    assert.equal(response.object, 'response');
    assert.equal(response.status, 'completed');
    assert.equal(response.model, defaultModel);
    assert.equal(response.output_text, storedText, 'the client builds output_text from output');
    const [message] = response.output;
    assert.ok(message?.type === 'message' && message.role === 'assistant');
    assert.deepEqual(
      message.content.map((c) => (c.type === 'output_text' ? c.text : c.type)),
      [storedText],
    );
    const usage = response.usage!;
    assert.ok(usage.output_tokens > 0);
    assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);

    const model = await client.models.retrieve(probes.fineTunedModel);
    assert.deepEqual(
      { id: model.id, object: model.object, owned_by: model.owned_by },
      { id: probes.fineTunedModel, object: 'model', owned_by: world.demo.openai.orgId },
    );
    const models = await all(client.models.list());
    assert.ok(models.some((m) => m.id === probes.fineTunedModel));
    assert.ok(models.some((m) => m.id === 'gpt-4o-mini' && m.owned_by === 'system'));
  });

  it('runs the runbook’s Admin API with the admin key: external keys list/retrieve/validate/register, projects list/create/retrieve/archive, audit log', async function () {
    const admin = adminClient(world);
    const { organization } = admin.admin;
    const { openai, aws } = world.demo;

    const keys = await all(organization.externalKeys.list());
    const demoKey = keys.find((k) => k.id === openai.externalKeyId);
    assert.ok(demoKey, 'the demo registration is listed');
    assert.equal(demoKey.object, 'organization.external_key');
    assert.equal(demoKey.type, 'aws');
    assert.equal(demoKey.kms_arn, aws.keyArn);
    assert.equal(demoKey.role_arn, aws.roleArn);
    assert.equal(demoKey.external_id, openai.orgId);
    assert.deepEqual([...demoKey.api_project_ids].sort(), openai.projects.map((p) => p.id).sort());
    assert.equal((await organization.externalKeys.retrieve(openai.externalKeyId)).id, openai.externalKeyId);
    assert.deepEqual(await organization.externalKeys.validate(openai.externalKeyId), { status: 'success' });

    // A second key the demo role may use, registered as OpenAI checks it: a live Encrypt and Decrypt.
    const { KeyMetadata: second } = await world.kms.send(
      new CreateKeyCommand({ Description: 'ekm test: registered through the openai client' }),
    );
    await world.iam.send(
      new PutRolePolicyCommand({
        RoleName: aws.roleArn.split('/').pop()!,
        PolicyName: 'openai-kms',
        PolicyDocument: JSON.stringify(kmsPolicyFor([aws.keyArn, second!.Arn!])),
      }),
    );
    const registration = { type: 'aws', role_arn: aws.roleArn, external_id: openai.orgId } as const;
    const registered = await organization.externalKeys.create({
      ...registration,
      name: 'official-client',
      kms_arn: second!.Arn!,
    });
    assert.match(registered.id, /^extkey_/);
    assert.equal(registered.kms_arn, second!.Arn!);
    assert.equal(registered.purpose, 'ekm');
    assert.deepEqual(registered.api_project_ids, []);

    const created = await organization.projects.create({
      name: 'official-client-project',
      external_key_id: registered.id,
    });
    assert.match(created.id, /^proj_/);
    assert.deepEqual(
      {
        object: created.object,
        status: created.status,
        key: created.external_key_id,
        archived: created.archived_at,
      },
      { object: 'organization.project', status: 'active', key: registered.id, archived: null },
    );
    // One project a page: the client follows the twin's cursor (has_more, last_id) to the end.
    const paged = await all(organization.projects.list({ limit: 1 }));
    assert.deepEqual(
      paged.map((p) => p.id),
      [...openai.projects.map((p) => p.id), created.id],
    );
    assert.equal((await organization.projects.retrieve(created.id)).name, 'official-client-project');

    const archived = await organization.projects.archive(created.id);
    assert.equal(archived.status, 'archived');
    assert.equal(typeof archived.archived_at, 'number');
    assert.ok(!(await all(organization.projects.list())).some((p) => p.id === created.id));
    assert.ok(
      (await all(organization.projects.list({ include_archived: true }))).some((p) => p.id === created.id),
    );
    const events = await all(organization.auditLogs.list({ event_types: ['project.archived'] }));
    assert.ok(events.some((e) => e.project?.id === created.id));

    // The same calls through the client's generic methods, as one would make an endpoint it has no type for.
    const generic = new OpenAI({
      ...fromEnvironment,
      apiKey: openai.adminKey,
      baseURL: `${world.twin.url}/v1`,
    });
    const listed = await generic.get<{ object: string; data: { id: string }[]; has_more: boolean }>(
      '/organization/projects',
      { query: { limit: 100 } },
    );
    assert.equal(listed.object, 'list');
    assert.deepEqual(
      listed.data.map((p) => p.id),
      openai.projects.map((p) => p.id),
    );
    assert.deepEqual(await generic.post(`/organization/external_keys/${openai.externalKeyId}/validate`), {
      status: 'success',
    });
  });

  it('turns the twin’s refusals into the client’s error classes: 400, 401, 404, 409, 429, 500', async function () {
    const client = projectClient(world, project.apiKey);
    const admin = adminClient(world);

    const wrongKey = await refused(
      projectClient(world, 'sk-proj-not-a-key').models.list(),
      AuthenticationError,
    );
    assert.equal(wrongKey.status, 401);
    assert.equal(wrongKey.code, 'invalid_api_key');
    assert.equal(wrongKey.type, 'invalid_request_error');
    // A project key is not an admin key.
    const projectAsAdmin = new OpenAI({
      ...fromEnvironment,
      adminAPIKey: project.apiKey,
      baseURL: `${world.twin.url}/v1`,
    });
    assert.equal(
      (await refused(projectAsAdmin.admin.organization.projects.list(), AuthenticationError)).code,
      'invalid_api_key',
    );

    const missing = await refused(client.responses.retrieve('resp_unknown'), NotFoundError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'not_found');
    await refused(admin.admin.organization.externalKeys.retrieve('extkey_unknown'), NotFoundError);

    const { aws, openai } = world.demo;
    const duplicate = await refused(
      admin.admin.organization.externalKeys.create({
        type: 'aws',
        name: 'again',
        role_arn: aws.roleArn,
        kms_arn: aws.keyArn,
        external_id: openai.orgId,
      }),
      ConflictError,
    );
    assert.equal(duplicate.code, 'external_key_already_registered');
    assert.match(duplicate.message, new RegExp(openai.externalKeyId));

    const invalid = await refused(
      admin.admin.organization.projects.create({ name: '', external_key_id: openai.externalKeyId }),
      BadRequestError,
    );
    assert.equal(invalid.param, 'name');

    await armFault(world, { kind: '429', path: '/v1/responses/*', count: 1, retryAfterSeconds: 3 });
    const limited = await refused(client.responses.retrieve(project.probes.responseId), RateLimitError);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.equal(limited.code, 'rate_limit_exceeded');
    assert.equal(limited.type, 'requests');
    assert.equal(limited.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.equal((await client.responses.retrieve(project.probes.responseId)).output_text, storedText);

    await armFault(world, { kind: '500', path: '/v1/organization/projects', method: 'GET', count: 1 });
    const broken = await refused(admin.admin.organization.projects.list(), InternalServerError);
    assert.equal(broken.status, 500);
    assert.equal(broken.type, 'server_error');
  });
});

describe('the official openai client after a revocation', function () {
  let world: TwinWorld | undefined;
  after(async () => {
    await world?.close();
  });

  it('validate is a BadRequestError at once; once the cache expires every probe read is a PermissionDeniedError (403), the unprotected reads answer, and an archived project’s key is an AuthenticationError', async function () {
    world = await startTwinWorld();
    const w = world;
    const project = w.demo.openai.projects[0]!;
    const client = projectClient(w, project.apiKey);
    const admin = adminClient(w).admin.organization;
    const { probes } = project;

    // moto answers DisableKey given an ARN with a 500: the bare key id works.
    await w.kms.send(new DisableKeyCommand({ KeyId: w.demo.aws.keyId }));
    const validate = await refused(admin.externalKeys.validate(w.demo.openai.externalKeyId), BadRequestError);
    assert.equal(validate.code, 'external_key_validation_failed');
    assert.match(validate.message, /error surfaced from the cloud provider/);
    assert.equal(
      (await client.responses.retrieve(probes.responseId)).output_text,
      storedText,
      'still cached',
    );

    w.advance(testTtlSeconds + 1);
    // One at a time, each started only when it is awaited: a refusal never goes unhandled.
    const reads: [string, () => Promise<unknown>][] = [
      ['file content', () => client.files.content(probes.fileId)],
      ['stored response', () => client.responses.retrieve(probes.responseId)],
      ['fine-tuned model', () => client.models.retrieve(probes.fineTunedModel)],
    ];
    for (const [what, read] of reads) {
      const denied = await refused(read(), PermissionDeniedError);
      assert.equal(denied.status, 403, what);
      assert.equal(denied.code, 'external_key_access_denied', what);
      assert.equal(denied.type, 'invalid_request_error', what);
      assert.match(denied.message, /KMS key could not be used \(DisabledException\)/, what);
    }
    // What the key does not protect still answers: the control call, a batch's status, a file's metadata.
    assert.ok((await all(client.models.list())).length > 0);
    assert.equal((await client.batches.retrieve(probes.batchId)).output_file_id, probes.fileId);
    assert.equal((await client.files.retrieve(probes.fileId)).id, probes.fileId);

    await admin.projects.archive(project.id);
    const archived = await refused(client.models.list(), AuthenticationError);
    assert.equal(archived.code, 'project_archived');
  });
});

async function armFault(w: TwinWorld, fault: Record<string, unknown>): Promise<void> {
  const added = await call(w.twin.url, 'POST', '/_twin/faults', w.demo.openai.adminKey, fault);
  assert.equal(added.status, 201, JSON.stringify(added.body));
}
