import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyDescription } from '../../../common/keys';
import { toAwsFailure } from './errors';
import { toKeyDescription } from './describeKey';

export interface CreateKeyRequest {
  description: string;
  /** Tags identify what made the key (e.g. the workflow id and step), so a lost answer can be reconciled. */
  tags: Record<string, string>;
}

/**
 * Creates a symmetric customer-managed key, with nothing to approve it: no product worker registers it
 * (createActivities leaves it out); only the test harness's worker does (test/fixtures/worker.ts). Not
 * idempotent on its own (AWS gives no client token): callers run it with a single attempt and reconcile by its tags.
 */
export function createAwsKey(kms: KMSClient) {
  return async function createKey(request: CreateKeyRequest): Promise<KeyDescription> {
    try {
      const { KeyMetadata } = await kms.send(
        new CreateKeyCommand({
          Description: request.description,
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          Tags: Object.entries(request.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        }),
      );
      if (!KeyMetadata) throw new Error('CreateKey answered without KeyMetadata');
      return toKeyDescription(KeyMetadata);
    } catch (err) {
      throw toAwsFailure(err, 'create key');
    }
  };
}
