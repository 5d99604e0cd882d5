// AWS KMS as OpenAI's principal: before each use, decide access from moto's state the way AWS would
// (moto itself enforces almost nothing), record the call or the refusal in the usage trail, then let moto
// do the real encryption.
import { IAMClient } from '@aws-sdk/client-iam';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { KeyAccessDenied, type KeyProvider } from '../provider';
import type { ExternalKey } from '../state';
import type { UsageTrail } from '../trail';
import { decideAwsKmsAccess, type AwsAccessState, type KmsAction } from './accessDecision';
import { loadAwsAccessState } from './motoState';
import { accountOfArn, withMotoAccount } from './motoAccount';

/** OpenAI's AWS role, which assumes the customer's role (reference/openai-ekm.md). */
export const openAiVendorRoleArn = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';

export interface AwsProviderOptions {
  endpoint: string;
  region: string;
  trail: UsageTrail;
  vendorRoleArn?: string;
  /** While the sandbox seeds (nothing else changes moto), each role and key's state is read once, not per use. */
  seeding?: SeedingWindow;
}

/**
 * The sandbox's seeding: its own changes are all made before it registers keys and seals probes, so the
 * access state read for one use holds for the next; outside the window every use reads moto afresh.
 */
export class SeedingWindow {
  private depth = 0;
  readonly states = new Map<string, Promise<AwsAccessState>>();
  get open(): boolean {
    return this.depth > 0;
  }
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.depth += 1;
    try {
      return await work();
    } finally {
      if (--this.depth === 0) this.states.clear();
    }
  }
}

export function createAwsKeyProvider(options: AwsProviderOptions): KeyProvider {
  const credentials = { accessKeyId: 'openai-twin-sandbox', secretAccessKey: 'openai-twin-sandbox' };
  // One client per account (and region, for KMS), each reading that account's world in moto.
  const made = new Map<string, IAMClient | KMSClient>();
  const inAccount = <C extends IAMClient | KMSClient>(
    id: string,
    account: string | undefined,
    make: () => C,
  ): C => {
    let client = made.get(id) as C | undefined;
    if (!client) {
      client = account ? withMotoAccount(make(), account) : make();
      made.set(id, client);
    }
    return client;
  };
  const iamFor = (roleArn: string) => {
    const account = accountOfArn(roleArn);
    return inAccount(
      `iam/${account}`,
      account,
      () => new IAMClient({ endpoint: options.endpoint, region: options.region, credentials }),
    );
  };
  const kmsFor = (keyArn: string) => {
    const region = keyArn.split(':')[3] || options.region;
    const account = accountOfArn(keyArn);
    return inAccount(
      `kms/${account}/${region}`,
      account,
      () => new KMSClient({ endpoint: options.endpoint, region, credentials }),
    );
  };
  const vendorRoleArn = options.vendorRoleArn ?? openAiVendorRoleArn;

  /** Decides as AWS would; records a refusal; returns the key's ARN when allowed. */
  async function authorize(key: ExternalKey, action: KmsAction): Promise<string> {
    const kms = kmsFor(key.kms_arn);
    const load = () =>
      loadAwsAccessState(
        { iam: iamFor(key.role_arn), kms },
        { roleArn: vendorRoleArn, externalId: key.external_id },
        key.role_arn,
        key.kms_arn,
      );
    const seeding = options.seeding;
    let state: AwsAccessState;
    if (seeding?.open) {
      const id = `${key.role_arn}|${key.kms_arn}|${key.external_id}`;
      let pending = seeding.states.get(id);
      if (!pending) seeding.states.set(id, (pending = load()));
      state = await pending;
    } else state = await load();
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
