// The seeded demo organisation: in moto, a customer-managed key and the customer role that OpenAI's role
// assumes (trust with ExternalId = the org id, kms:Encrypt/Decrypt on the key); in the twin, the key
// registered through the Admin API, a project bound to it holding a batch output file, a stored response
// and a fine-tuned model, and a second project on the same key (for blast-radius checks).
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { request } from 'undici';
import { openAiVendorRoleArn } from './aws/provider';
import { defaultModel } from './objects';
import { newId } from './state';
import type { OpenAiTwin } from './twin';

export interface DemoProject {
  id: string;
  apiKey: string;
  probes: { batchId: string; fileId: string; responseId: string; fineTunedModel: string };
}

export interface DemoOrganisation {
  openai: {
    baseUrl: string;
    adminKey: string;
    orgId: string;
    externalKeyId: string;
    projects: DemoProject[];
  };
  aws: {
    endpoint: string;
    region: string;
    accountId: string;
    keyId: string;
    keyArn: string;
    keyAlias: string;
    roleArn: string;
    externalId: string;
  };
}

export const sandboxAwsCredentials = {
  accessKeyId: 'sandbox-not-a-secret',
  secretAccessKey: 'sandbox-not-a-secret',
};

export function trustPolicyFor(externalId: string, vendorRoleArn = openAiVendorRoleArn) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OpenAIEnterpriseKeyManagement',
        Effect: 'Allow',
        Principal: { AWS: vendorRoleArn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

export function kmsPolicyFor(keys: string | string[]) {
  // A role shared by several keys names them all in one statement, as a customer's would.
  const Sid = Array.isArray(keys) ? 'OpenAIUseOfKeys' : 'OpenAIUseOfKey';
  return {
    Version: '2012-10-17',
    Statement: [{ Sid, Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: keys }],
  };
}

/** An Admin API call to the twin as the organisation's admin; a refusal throws, naming the call. */
export async function admin<T>(
  twin: { url: string; adminKey: string },
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await request(`${twin.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${twin.adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.body.json()) as T;
  if (res.statusCode >= 300)
    throw new Error(`${method} ${path} answered ${res.statusCode}: ${JSON.stringify(json)}`);
  return json;
}

/**
 * A project on the external key with a service account's API key and the objects the runbook probes,
 * each sealed under the key through the twin (so OpenAI's principal uses the customer key): a batch
 * output file, the batch naming it, a stored response and a fine-tuned model.
 */
export async function seedDemoProject(
  twin: OpenAiTwin,
  externalKeyId: string,
  name: string,
): Promise<DemoProject> {
  const asAdmin = { url: twin.url, adminKey: twin.store.data.adminKey };
  const project = await admin<{ id: string }>(asAdmin, 'POST', '/v1/organization/projects', {
    name,
    external_key_id: externalKeyId,
  });
  const account = await admin<{ api_key: { value: string } }>(
    asAdmin,
    'POST',
    `/v1/organization/projects/${project.id}/service_accounts`,
    { name: 'ekm-probe' },
  );
  const ekm = twin.ekm;
  const file = await ekm.storeObject(
    project.id,
    'file',
    '{"custom_id":"request-1","response":{"status_code":200,"body":{"output":"hello from the batch"}}}\n',
    { filename: 'batch_output.jsonl', purpose: 'batch_output' },
  );
  const batch = await ekm.storeObject(project.id, 'batch', '', {
    endpoint: '/v1/responses',
    model: defaultModel,
    // The batch's input file is not kept (OpenAI's files can be deleted after a batch); its output is.
    input_file_id: newId('file'),
    output_file_id: file.id,
  });
  // What a stored response keeps sealed: its model, input and output text (objects.ts answers the rest).
  const response = await ekm.storeObject(
    project.id,
    'response',
    JSON.stringify({
      model: defaultModel,
      input: 'Say where this response is kept.',
      output_text: 'A stored response, sealed under the customer key.',
    }),
  );
  const model = await ekm.storeObject(project.id, 'model', 'fine-tuned weights (sandbox)');
  return {
    id: project.id,
    apiKey: account.api_key.value,
    probes: { batchId: batch.id, fileId: file.id, responseId: response.id, fineTunedModel: model.id },
  };
}

export interface SeedOptions {
  awsEndpoint: string;
  region?: string;
  twin: OpenAiTwin;
  /** Makes names unique, so tests can seed one organisation each in a shared moto. */
  suffix?: string;
  /** `role` (the customer role's inline policy, the default) or `grant` (a KMS grant to the role). */
  accessBy?: 'role' | 'grant';
}

export async function seedDemoOrganisation(options: SeedOptions): Promise<DemoOrganisation> {
  const region = options.region ?? 'us-east-1';
  const suffix = options.suffix ?? '';
  const clientOptions = { endpoint: options.awsEndpoint, region, credentials: sandboxAwsCredentials };
  const kms = new KMSClient(clientOptions);
  const iam = new IAMClient(clientOptions);
  const twin = { url: options.twin.url, adminKey: options.twin.store.data.adminKey };
  const orgId = options.twin.store.data.orgId;
  try {
    const { KeyMetadata: key } = await kms.send(
      new CreateKeyCommand({
        Description: 'ekm sandbox: demo key used by OpenAI EKM',
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        Tags: [{ TagKey: 'ekm:sandbox', TagValue: 'demo' }],
      }),
    );
    const keyAlias = `alias/ekm-demo${suffix}`;
    await kms.send(new CreateAliasCommand({ AliasName: keyAlias, TargetKeyId: key!.KeyId! }));
    const roleName = `ekm-openai-access${suffix}`;
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor(orgId)),
      }),
    );
    if (options.accessBy === 'grant') {
      await kms.send(
        new CreateGrantCommand({
          KeyId: key!.KeyId!,
          GranteePrincipal: Role!.Arn!,
          Operations: ['Encrypt', 'Decrypt'],
          Name: `openai-ekm${suffix}`,
        }),
      );
    } else {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: 'openai-kms',
          PolicyDocument: JSON.stringify(kmsPolicyFor(key!.Arn!)),
        }),
      );
    }

    const external = await admin<{ id: string }>(twin, 'POST', '/v1/organization/external_keys', {
      type: 'aws',
      name: `ekm-demo${suffix}`,
      role_arn: Role!.Arn!,
      kms_arn: key!.Arn!,
      external_id: orgId,
    });
    const projects: DemoProject[] = [];
    for (const name of [`ekm-demo${suffix}`, `ekm-demo-shared${suffix}`])
      projects.push(await seedDemoProject(options.twin, external.id, name));
    return {
      openai: { baseUrl: twin.url, adminKey: twin.adminKey, orgId, externalKeyId: external.id, projects },
      aws: {
        endpoint: options.awsEndpoint,
        region,
        accountId: key!.Arn!.split(':')[4]!,
        keyId: key!.KeyId!,
        keyArn: key!.Arn!,
        keyAlias,
        roleArn: Role!.Arn!,
        externalId: orgId,
      },
    };
  } finally {
    kms.destroy();
    iam.destroy();
  }
}
