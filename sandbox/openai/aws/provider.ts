// AWS KMS as OpenAI's principal: before each use, decide access from moto's state the way AWS would
// (moto itself enforces almost nothing), record the call or the refusal in the usage trail, then let moto
// do the real encryption.
import { IAMClient } from '@aws-sdk/client-iam';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { KeyAccessDenied, type KeyProvider } from '../provider';
import type { ExternalKey } from '../state';
import type { UsageTrail } from '../trail';
import { decideAwsKmsAccess, type KmsAction } from './accessDecision';
import { loadAwsAccessState } from './motoState';

/** OpenAI's AWS role, which assumes the customer's role (reference/openai-ekm.md). */
export const openAiVendorRoleArn = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';

export interface AwsProviderOptions {
  endpoint: string;
  region: string;
  trail: UsageTrail;
  vendorRoleArn?: string;
}

export function createAwsKeyProvider(options: AwsProviderOptions): KeyProvider {
  const credentials = { accessKeyId: 'openai-twin-sandbox', secretAccessKey: 'openai-twin-sandbox' };
  const iam = new IAMClient({ endpoint: options.endpoint, region: options.region, credentials });
  const kmsByRegion = new Map<string, KMSClient>();
  const kmsFor = (keyArn: string) => {
    const region = keyArn.split(':')[3] || options.region;
    let client = kmsByRegion.get(region);
    if (!client) {
      client = new KMSClient({ endpoint: options.endpoint, region, credentials });
      kmsByRegion.set(region, client);
    }
    return client;
  };
  const vendorRoleArn = options.vendorRoleArn ?? openAiVendorRoleArn;

  /** Decides as AWS would; records a refusal; returns the key's ARN when allowed. */
  async function authorize(key: ExternalKey, action: KmsAction): Promise<string> {
    const kms = kmsFor(key.kms_arn);
    const state = await loadAwsAccessState(
      { iam, kms },
      { roleArn: vendorRoleArn, externalId: key.external_id },
      key.role_arn,
      key.kms_arn,
    );
    const decision = decideAwsKmsAccess(state, action);
    const keyArn = state.key?.arn ?? key.kms_arn;
    if (!decision.allowed) {
      options.trail.record({
        eventName: action === 'kms:Encrypt' ? 'Encrypt' : 'Decrypt',
        keyArn,
        roleArn: key.role_arn,
        sessionName: `openai-ekm-${key.id}`,
        errorCode: decision.code,
        errorMessage: decision.reason,
      });
      throw new KeyAccessDenied(decision.code, decision.reason);
    }
    return keyArn;
  }

  return {
    async encryptDataKey(key, dataKey) {
      const keyArn = await authorize(key, 'kms:Encrypt');
      const { CiphertextBlob } = await kmsFor(keyArn).send(
        new EncryptCommand({ KeyId: keyArn, Plaintext: dataKey }),
      );
      options.trail.record({
        eventName: 'Encrypt',
        keyArn,
        roleArn: key.role_arn,
        sessionName: `openai-ekm-${key.id}`,
      });
      return { ciphertext: Buffer.from(CiphertextBlob!).toString('base64'), keyArn };
    },
    async decryptDataKey(key, ciphertext, encryptedUnder) {
      const keyArn = await authorize(key, 'kms:Decrypt');
      if (keyArn !== encryptedUnder) {
        // What an alias re-pointed to another key does: KMS refuses a ciphertext made by a different key.
        const reason = `the ciphertext was made by ${encryptedUnder}, not by ${keyArn}`;
        options.trail.record({
          eventName: 'Decrypt',
          keyArn,
          roleArn: key.role_arn,
          sessionName: `openai-ekm-${key.id}`,
          errorCode: 'IncorrectKeyException',
          errorMessage: reason,
        });
        throw new KeyAccessDenied('IncorrectKeyException', reason);
      }
      const { Plaintext } = await kmsFor(keyArn).send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(ciphertext, 'base64'), KeyId: keyArn }),
      );
      options.trail.record({
        eventName: 'Decrypt',
        keyArn,
        roleArn: key.role_arn,
        sessionName: `openai-ekm-${key.id}`,
      });
      return Buffer.from(Plaintext!);
    },
  };
}
