import { DescribeKeyCommand, type KeyMetadata, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyDescription } from '../../../common/keys';
import { toAwsFailure } from './errors';

export function toKeyDescription(meta: KeyMetadata): KeyDescription {
  return {
    provider: 'aws',
    keyId: meta.Arn ?? '',
    shortId: meta.KeyId ?? '',
    state: meta.KeyState ?? 'Unknown',
    enabled: meta.Enabled ?? false,
    manager: meta.KeyManager ?? 'Unknown',
    keySpec: meta.KeySpec ?? 'Unknown',
    usage: meta.KeyUsage ?? 'Unknown',
    description: meta.Description ?? '',
    createdAt: meta.CreationDate?.toISOString(),
    deletionDate: meta.DeletionDate?.toISOString(),
  };
}

/** Reads a key's metadata from AWS KMS; `key` may be an ARN, an alias or a bare id. Read-only. */
export function describeAwsKey(kms: KMSClient) {
  return async function describeKey(key: string): Promise<KeyDescription> {
    try {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key }));
      if (!KeyMetadata) throw new Error(`DescribeKey answered without KeyMetadata for ${key}`);
      return toKeyDescription(KeyMetadata);
    } catch (err) {
      throw toAwsFailure(err, `describe key ${key}`);
    }
  };
}
