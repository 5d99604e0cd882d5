// The sandbox's demo organisation. moto keeps nothing across restarts, so this runs on every start and
// creates what is missing: today a customer-managed KMS key behind the alias `alias/ekm-demo`.
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';

export const demoKeyAlias = 'alias/ekm-demo';

export interface DemoOrganisation {
  aws: { endpoint: string; region: string; keyArn: string; keyAlias: string };
}

export const sandboxAwsCredentials = {
  accessKeyId: 'sandbox-not-a-secret',
  secretAccessKey: 'sandbox-not-a-secret',
};

export async function seedDemoOrganisation(
  awsEndpoint: string,
  region = 'us-east-1',
): Promise<DemoOrganisation> {
  const kms = new KMSClient({ endpoint: awsEndpoint, region, credentials: sandboxAwsCredentials });
  try {
    let keyArn: string | undefined;
    try {
      keyArn = (await kms.send(new DescribeKeyCommand({ KeyId: demoKeyAlias }))).KeyMetadata?.Arn;
    } catch (err) {
      if ((err as Error).name !== 'NotFoundException') throw err;
    }
    if (!keyArn) {
      const created = await kms.send(
        new CreateKeyCommand({
          Description: 'ekm sandbox: demo key used by OpenAI EKM',
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          Tags: [{ TagKey: 'ekm:sandbox', TagValue: 'demo' }],
        }),
      );
      keyArn = created.KeyMetadata!.Arn!;
      await kms.send(
        new CreateAliasCommand({ AliasName: demoKeyAlias, TargetKeyId: created.KeyMetadata!.KeyId! }),
      );
    }
    return { aws: { endpoint: awsEndpoint, region, keyArn, keyAlias: demoKeyAlias } };
  } finally {
    kms.destroy();
  }
}
