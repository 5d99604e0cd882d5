// The seeded Google Cloud demo, the AWS demo's counterpart: in the Cloud KMS fake's project, a key ring and
// an ENCRYPT_DECRYPT key, and the custom role with the two use permissions bound on the key to OpenAI's
// workload-identity principal (as OpenAI's help article has customers grant it); in the twin, that key
// registered as a GCP external key and a project on it whose probes are sealed through the fake — so the
// fake's Data Access log already holds OpenAI's Encrypts when the sandbox comes up.
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import type { GcpKmsFake } from '../gcp/kmsFake';
import { admin, seedDemoProject, type DemoProject } from './demo';
import { kmsClientForFake } from './gcp/client';
import { openAiPrincipal } from './gcp/identity';
import type { OpenAiTwin } from './twin';

/** Where the customer registered OpenAI's workload identity: its project *number*, pool and provider. */
export const sandboxWorkloadIdentity = {
  projectNumber: '123456789012',
  poolId: 'openai-ekm',
  providerId: 'openai-oidc',
};

export interface GcpDemo {
  /** The fake's project, where the key lives (and whose Data Access log `ekm usage` reads). */
  projectId: string;
  location: string;
  /** projects/…/locations/…/keyRings/… */
  keyRing: string;
  /** projects/…/locations/…/keyRings/…/cryptoKeys/…: the `--key-name` of every GCP command. */
  keyName: string;
  /** The custom role bound to OpenAI on the key. */
  role: string;
  /** OpenAI's IAM principal as the key's binding names it: the `--principal` of every GCP command. */
  principal: string;
  workloadIdentity: typeof sandboxWorkloadIdentity;
  externalKeyId: string;
  projects: DemoProject[];
}

type IamRequest<M extends 'getIamPolicy' | 'setIamPolicy'> = Parameters<KeyManagementServiceClient[M]>[0];

/** Adds `member` with `role` to the key's policy, read-modify-write on the etag as a customer would. */
async function bindOnKey(
  kms: KeyManagementServiceClient,
  keyName: string,
  role: string,
  member: string,
): Promise<void> {
  // The client types IAM requests as generated message classes, though it takes plain objects.
  const [policy] = await kms.getIamPolicy({ resource: keyName } as IamRequest<'getIamPolicy'>);
  await kms.setIamPolicy({
    resource: keyName,
    policy: { bindings: [...(policy.bindings ?? []), { role, members: [member] }], etag: policy.etag },
  } as IamRequest<'setIamPolicy'>);
}

export async function seedGcpDemo(options: {
  fake: GcpKmsFake;
  twin: OpenAiTwin;
  /** Makes the key ring, key, registration and project names unique, so one fake holds several demos. */
  suffix?: string;
}): Promise<GcpDemo> {
  const { fake, twin } = options;
  const suffix = options.suffix ?? '';
  const location = 'global';
  const keyId = `ekm-demo${suffix}`;
  // One custom role per project, as a customer defines it; seeding it again for another key is a no-op.
  const role = `projects/${fake.projectId}/roles/openaiEkmUse`;
  fake.defineCustomRole(role, [
    'cloudkms.cryptoKeyVersions.useToEncrypt',
    'cloudkms.cryptoKeyVersions.useToDecrypt',
  ]);
  const principal = openAiPrincipal({
    workload_identity_project_number: sandboxWorkloadIdentity.projectNumber,
    workload_identity_pool_id: sandboxWorkloadIdentity.poolId,
  });
  // No principal header: the fake takes the call as the project owner, the customer's own admin.
  const kms = kmsClientForFake(fake.address);
  try {
    const [keyRing] = await kms.createKeyRing({
      parent: `projects/${fake.projectId}/locations/${location}`,
      keyRingId: keyId,
      keyRing: {},
    });
    const [cryptoKey] = await kms.createCryptoKey({
      parent: keyRing.name!,
      cryptoKeyId: keyId,
      cryptoKey: { purpose: 'ENCRYPT_DECRYPT' },
    });
    const keyName = cryptoKey.name!;
    await bindOnKey(kms, keyName, role, principal);

    const external = await admin<{ id: string }>(
      { url: twin.url, adminKey: twin.store.data.adminKey },
      'POST',
      '/v1/organization/external_keys',
      {
        type: 'gcp',
        name: `ekm-demo-gcp${suffix}`,
        workload_identity_project_number: sandboxWorkloadIdentity.projectNumber,
        workload_identity_pool_id: sandboxWorkloadIdentity.poolId,
        workload_identity_provider_id: sandboxWorkloadIdentity.providerId,
        audience: twin.store.data.orgId,
        kms_project_id: fake.projectId,
        kms_key_ring_name: keyId,
        kms_key_name: keyId,
        kms_key_location: location,
      },
    );
    const project = await seedDemoProject(twin, external.id, `ekm-demo-gcp${suffix}`);
    return {
      projectId: fake.projectId,
      location,
      keyRing: keyRing.name!,
      keyName,
      role,
      principal,
      workloadIdentity: sandboxWorkloadIdentity,
      externalKeyId: external.id,
      projects: [project],
    };
  } finally {
    await kms.close();
  }
}
