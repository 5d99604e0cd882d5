// Google Cloud KMS as OpenAI's principal: Encrypt and Decrypt of data keys through the real
// @google-cloud/kms client, calling as OpenAI's workload-identity principal for the registration. The KMS
// (the sandbox's fake) decides: IAM bindings on the key and its ring, version states. Its Data Access audit
// entries record each call with that principal, so no trail of the twin's own is kept for GCP.
import { principalHeader } from '../../gcp/principal';
import type { KeyProvider } from '../provider';
import type { GcpExternalKey } from '../state';
import { kmsClientForFake } from './client';
import { openAiGoogleSubject, openAiPrincipal } from './identity';
import { cryptoKeyName } from './registration';
import { asKeyAccessDenied } from './refusals';

export interface GcpProviderOptions {
  /** host:port of the Cloud KMS fake. */
  endpoint: string;
  /** The subject of OpenAI's Google ID token; the reference's by default. */
  openAiSubject?: string;
}

export function createGcpKeyProvider(options: GcpProviderOptions): KeyProvider<GcpExternalKey> {
  const kms = kmsClientForFake(options.endpoint);
  const subject = options.openAiSubject ?? openAiGoogleSubject;
  // The fake learns the caller from a metadata header, where Google reads the federated token.
  const asOpenAi = (key: GcpExternalKey) => ({
    otherArgs: { headers: { [principalHeader]: openAiPrincipal(key, subject) } },
  });

  return {
    async encryptDataKey(key, dataKey) {
      const name = cryptoKeyName(key);
      try {
        const [answer] = await kms.encrypt({ name, plaintext: dataKey }, asOpenAi(key));
        // Encrypt answers the version it used: it must be one of the registered key's.
        if (!answer.name?.startsWith(`${name}/cryptoKeyVersions/`) || !answer.ciphertext?.length)
          throw new Error(`Cloud KMS answered Encrypt on ${name} with version '${answer.name}'`);
        return { ciphertext: Buffer.from(answer.ciphertext).toString('base64'), keyArn: name };
      } catch (err) {
        throw asKeyAccessDenied(err);
      }
    },
    async decryptDataKey(key, ciphertext, encryptedUnder) {
      // A registration's key never changes (no aliases in Cloud KMS), so the stored name is the key's.
      try {
        const [answer] = await kms.decrypt(
          { name: encryptedUnder, ciphertext: Buffer.from(ciphertext, 'base64') },
          asOpenAi(key),
        );
        return Buffer.from(answer.plaintext ?? []);
      } catch (err) {
        throw asKeyAccessDenied(err);
      }
    },
    close: () => kms.close(),
  };
}
