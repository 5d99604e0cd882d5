// The OpenAI twin with a Google Cloud KMS key, driven through undici against the twin and the real
// @google-cloud/kms client against the Cloud KMS fake: the twin registers OpenAI's GCP body, uses the key as
// OpenAI's workload-identity principal, and after either GCP revocation method answers as it does for AWS
// — validate fails at once, cached data keys serve reads until the TTL, then reads are denied.
import assert from 'node:assert/strict';
import { createGcpClients, type GcpClients } from '../../providers/gcp/activities/clients';
import {
  revokeGcpAccessActivity,
  type GcpRevocationMethod,
} from '../../providers/gcp/activities/revokeAccess';
import { decodeAuditLog } from '../../sandbox/gcp/kmsFake';
import { openAiPrincipal } from '../../sandbox/openai/gcp/identity';
import {
  call,
  gcpCustomerProject,
  gcpWorkloadIdentity,
  startGcpTwinWorld,
  testTtlSeconds,
  type GcpSeededProject,
  type GcpTwinWorld,
  type HttpAnswer,
} from '../fixtures/twin';

type OpenAiError = { error: { message: string; type: string; param: string | null; code: string | null } };
const errorOf = (answer: HttpAnswer) => (answer.body as OpenAiError).error;

const register = (w: GcpTwinWorld, body: unknown) =>
  call(w.twin.url, 'POST', '/v1/organization/external_keys', w.adminKey, body);

const validate = (w: GcpTwinWorld, externalKeyId: string) =>
  call(w.twin.url, 'POST', `/v1/organization/external_keys/${externalKeyId}/validate`, w.adminKey);

/** OpenAI reads the project's file with the project's own key. */
const readFile = (w: GcpTwinWorld, p: GcpSeededProject) =>
  call(w.twin.url, 'GET', `/v1/files/${p.fileId}/content`, p.apiKey);

/** Each GCP way of revoking, by the project's own activity function, as the revocation workflow will call it. */
const revocations: { method: GcpRevocationMethod; refusal: string }[] = [
  { method: 'remove-binding', refusal: 'PERMISSION_DENIED' },
  { method: 'disable-versions', refusal: 'FAILED_PRECONDITION' },
];

describe('OpenAI twin with Google Cloud KMS', function () {
  let w: GcpTwinWorld | undefined;
  let clients: GcpClients | undefined;
  afterEach(async () => {
    await clients?.kms.close();
    await w?.close();
    clients = undefined;
    w = undefined;
  });

  it("registers OpenAI's GCP body only once OpenAI's workload identity may use the key, validates it and serves the project's file", async function () {
    w = await startGcpTwinWorld();
    const { key } = await w.gcp.newKey();
    const body = w.registrationBody(key);

    // OpenAI checks it can reach the key before answering: without a binding, Cloud KMS refuses its principal.
    const refused = await register(w, body);
    assert.equal(refused.status, 400);
    assert.equal(errorOf(refused).code, 'external_key_access_failed');
    assert.match(errorOf(refused).message, /PERMISSION_DENIED: .*useToEncrypt/);

    await w.grant(key);
    const registered = await register(w, body);
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.deepEqual(
      { ...(registered.body as Record<string, unknown>), id: 'ID', created_at: 0 },
      {
        id: 'ID',
        object: 'organization.external_key',
        created_at: 0,
        purpose: 'ekm',
        api_project_ids: [],
        workspace_id: null,
        ...body,
      },
    );
    const externalKeyId = (registered.body as { id: string }).id;
    assert.match(externalKeyId, /^extkey_/);

    const again = await register(w, { ...body, name: 'again' });
    assert.equal(again.status, 409);
    assert.equal(errorOf(again).param, 'kms_key_name');
    assert.match(errorOf(again).message, new RegExp(externalKeyId));

    assert.deepEqual((await validate(w, externalKeyId)).body, { status: 'success' });

    const p = await w.seedProject();
    const read = await readFile(w, p);
    assert.equal(read.status, 200);
    assert.equal(read.body, p.fileContent);
    // A cold cache makes the twin ask Cloud KMS again: the file still opens.
    w.advance(testTtlSeconds + 1);
    assert.equal((await readFile(w, p)).body, p.fileContent);

    // Cloud KMS logged the twin's calls as OpenAI's federated principal — where a GCP usage check will look.
    const [entries] = await w.gcp.logging.getEntries({
      filter: [
        `protoPayload.authenticationInfo.principalSubject="${w.openAiMember}"`,
        `protoPayload.resourceName="${p.keyName}"`,
      ].join(' AND '),
      orderBy: 'timestamp asc',
    });
    const methods = entries.map((e) => decodeAuditLog(e.data).methodName);
    assert.ok(methods.includes('Encrypt') && methods.includes('Decrypt'), methods.join(', '));
    assert.equal(methods.at(-1), 'Decrypt', 'the cold read went to Cloud KMS');
  });

  for (const { method, refusal } of revocations) {
    it(`${method}: validate fails at once (${refusal}), the file reads until the cache TTL, then it is denied`, async function () {
      w = await startGcpTwinWorld();
      clients = createGcpClients({ projectId: gcpCustomerProject, endpoint: w.gcp.fake.address });
      const p = await w.seedProject();
      assert.deepEqual((await validate(w, p.externalKeyId)).body, { status: 'success' });
      assert.equal((await readFile(w, p)).status, 200);

      const revoked = await revokeGcpAccessActivity(clients)({
        method,
        keyName: p.keyName,
        principal: w.openAiMember,
      });
      assert.equal(revoked.changed, true, revoked.description);

      const v = await validate(w, p.externalKeyId);
      assert.equal(v.status, 400);
      assert.equal(errorOf(v).code, 'external_key_validation_failed');
      assert.match(errorOf(v).message, new RegExp(`error surfaced from the cloud provider: ${refusal}: `));

      w.advance(testTtlSeconds - 60);
      const cached = await readFile(w, p);
      assert.equal(cached.status, 200, 'a cached data key still serves reads within the TTL');
      assert.equal(cached.body, p.fileContent);

      w.advance(61);
      const denied = await readFile(w, p);
      assert.equal(denied.status, 403);
      assert.equal(errorOf(denied).code, 'external_key_access_denied');
      assert.match(errorOf(denied).message, new RegExp(`\\(${refusal}\\)`));
      // The key protects data, not the project: the control call still answers.
      assert.equal((await call(w.twin.url, 'GET', '/v1/models', p.apiKey)).status, 200);
    });
  }

  it("calls as the configured subject's principal: a binding for the reference's subject does not let it in", async function () {
    w = await startGcpTwinWorld({ openAiSubject: 'another-openai-subject' });
    const { key } = await w.gcp.newKey();
    const referenceMember = openAiPrincipal({
      workload_identity_project_number: gcpWorkloadIdentity.projectNumber,
      workload_identity_pool_id: gcpWorkloadIdentity.poolId,
    });
    assert.match(referenceMember, /\/subject\/105900137572174660365$/);
    assert.match(w.openAiMember, /\/subject\/another-openai-subject$/);

    await w.grant(key, referenceMember);
    const refused = await register(w, w.registrationBody(key));
    assert.equal(errorOf(refused).code, 'external_key_access_failed');
    await w.grant(key);
    assert.equal((await register(w, w.registrationBody(key))).status, 201);
  });

  it('refuses a malformed GCP registration naming the field, in the error shape of an AWS refusal, asking nothing of Cloud KMS', async function () {
    w = await startGcpTwinWorld({ withAws: true });
    const { key } = await w.gcp.newKey();
    await w.grant(key);
    const audits = w.gcp.fake.auditEntries().length;

    // The same refusal for an AWS body: the GCP one must differ only in the field it names.
    const aws = await register(w, { type: 'aws', name: 'aws', role_arn: 'arn:aws:iam::123456789012:role/r' });
    assert.equal(aws.status, 400);
    assert.deepEqual(aws.body, {
      error: {
        message: "Missing required parameter: 'kms_arn'.",
        type: 'invalid_request_error',
        param: 'kms_arn',
        code: 'missing_required_parameter',
      },
    });
    const withoutRing: Record<string, unknown> = w.registrationBody(key);
    delete withoutRing.kms_key_ring_name;
    const missing = await register(w, withoutRing);
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, {
      error: {
        message: "Missing required parameter: 'kms_key_ring_name'.",
        type: 'invalid_request_error',
        param: 'kms_key_ring_name',
        code: 'missing_required_parameter',
      },
    });

    const invalid: [string, Record<string, unknown>][] = [
      ['kms_key_name', { kms_key_name: key }], // the resource name where the key's id belongs
      ['workload_identity_project_number', { workload_identity_project_number: gcpCustomerProject }],
      ['workload_identity_pool_id', { workload_identity_pool_id: 'OpenAI pool' }],
      ['workload_identity_provider_id', { workload_identity_provider_id: 'gcp-reserved' }],
      ['kms_project_id', { kms_project_id: '1-not-a-project' }],
      ['kms_key_location', { kms_key_location: 'us east1' }],
    ];
    for (const [field, override] of invalid) {
      const answer = await register(w, w.registrationBody(key, override));
      assert.equal(answer.status, 400, field);
      const error = errorOf(answer);
      assert.deepEqual(
        { param: error.param, code: error.code, type: error.type },
        { param: field, code: 'invalid_value', type: 'invalid_request_error' },
        `${field}: ${JSON.stringify(error)}`,
      );
      assert.match(error.message, new RegExp(`^Invalid '${field}': expected `));
    }
    for (const field of ['audience', 'workload_identity_provider_id', 'kms_key_location']) {
      const answer = await register(w, w.registrationBody(key, { [field]: '  ' }));
      assert.deepEqual([errorOf(answer).param, errorOf(answer).code], [field, 'missing_required_parameter']);
    }
    const azure = await register(w, { ...w.registrationBody(key), type: 'azure' });
    assert.deepEqual([errorOf(azure).param, errorOf(azure).code], ['type', 'invalid_value']);
    assert.match(errorOf(azure).message, /supports 'aws' and 'gcp'/);

    const listed = await call(w.twin.url, 'GET', '/v1/organization/external_keys', w.adminKey);
    assert.deepEqual((listed.body as { data: unknown[] }).data, [], 'nothing was registered');
    assert.equal(w.gcp.fake.auditEntries().length, audits, 'no Encrypt or Decrypt was attempted');

    // The well-formed body passes.
    assert.equal((await register(w, w.registrationBody(key))).status, 201);
  });
});
