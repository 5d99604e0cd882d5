// The runbook's replacement, for Google Cloud: a new key in the old key's ring, and OpenAI's principal
// allowed to use it. Key names are unique in a ring and never reused, so creating is "find by name, else
// create": a retry whose earlier create went through finds that key. The key is labelled with this worker's
// ownership marker (an HMAC of the run and step under the workers' secret), so a key of the same name made
// by someone else — who can read the run's ids but not the secret — is never taken for ours.
// Granting is an etag read-modify-write that adds the binding only when it is missing.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import { nameTaken } from '../../../activities/nameTaken';
import type { Ownership } from '../../../activities/ownership';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { editIamPolicy, encrypterDecrypterRole, isIamMember } from './iamPolicy';
import { parseGcpKeyName, resourceIdPattern } from './keyNames';
import { readGcpKey, timestampOf } from './readKey';
import { gcpRotationPeriodSeconds } from './keyRotation';

/** Label values allow only lowercase letters, digits, `_` and `-`: the marker is 40 hex characters. */
export const createdByLabel = 'ekm-created-by';

export interface GcpReplacementKeyRequest {
  /** The key being replaced: the new one goes in its key ring, with its protection level. */
  keyName: string;
  /** The new key's id in that ring. */
  newKeyId: string;
  /** The run and step that make it: a key of that name without their label is not ours. */
  workflowId: string;
  step: string;
  /** A person chose (`ekm resolve --adopt`) to use the key of that name although nothing proves it ours. */
  adopt?: boolean;
  /** Automatic rotation for the new key (the first one a period after creation); none when absent. */
  rotationPeriodSeconds?: number;
}

export interface GcpReplacementKey {
  keyName: string;
  /** False when an earlier attempt of this step had made it. */
  created: boolean;
  description: string;
}

const notFound = 5;
const alreadyExists = 6;

const invalid = (message: string) =>
  ApplicationFailure.create({ type: EkmError.InvalidInput, nonRetryable: true, message });

export function createGcpReplacementKeyActivity(clients: GcpClients, ownership: Ownership) {
  const { kms } = clients;

  /** The key of that name when this run and step made it (or a person adopted it); undefined when none. */
  async function findOurs(name: string, step: string, adopt = false): Promise<string | undefined> {
    let labels: Record<string, string>;
    try {
      const [key] = await kms.getCryptoKey({ name });
      labels = key.labels ?? {};
    } catch (err) {
      if ((err as { code?: number }).code === notFound) return undefined;
      throw err;
    }
    if (!adopt && !ownership.isOurs(step, labels[createdByLabel]))
      throw nameTaken('create the replacement key', name, [
        {
          id: name,
          description: `exists without this worker’s ${createdByLabel} label (${labels[createdByLabel] ?? 'absent'})`,
          value: { keyName: name },
        },
      ]);
    return name;
  }

  return async function createGcpReplacementKey(
    request: GcpReplacementKeyRequest,
  ): Promise<GcpReplacementKey> {
    const { ringName } = parseGcpKeyName(request.keyName);
    if (!resourceIdPattern.test(request.newKeyId ?? ''))
      throw invalid(`newKeyId: ${JSON.stringify(request.newKeyId)} must be 1–63 letters, digits, _ or -`);
    const period = request.rotationPeriodSeconds;
    const { min, max } = gcpRotationPeriodSeconds;
    if (period !== undefined && (!Number.isInteger(period) || period < min || period > max))
      throw invalid(`rotationPeriodSeconds: must be a whole number from ${min} to ${max}, got ${period}`);
    const name = `${ringName}/cryptoKeys/${request.newKeyId}`;
    try {
      if (await findOurs(name, request.step, request.adopt))
        return {
          keyName: name,
          created: false,
          description: `${name} was made by an earlier attempt of this step: nothing created`,
        };
      const old = await readGcpKey(kms, request.keyName);
      try {
        await kms.createCryptoKey({
          parent: ringName,
          cryptoKeyId: request.newKeyId,
          cryptoKey: {
            purpose: 'ENCRYPT_DECRYPT',
            versionTemplate: {
              protectionLevel: old.protectionLevel as 'SOFTWARE',
              algorithm: old.algorithm as 'GOOGLE_SYMMETRIC_ENCRYPTION',
            },
            labels: { [createdByLabel]: ownership.marker(request.step) },
            ...(old.destroyScheduledDurationSeconds !== undefined
              ? { destroyScheduledDuration: { seconds: old.destroyScheduledDurationSeconds } }
              : {}),
            ...(period !== undefined
              ? {
                  rotationPeriod: { seconds: period },
                  nextRotationTime: timestampOf(new Date(Date.now() + period * 1000).toISOString()),
                }
              : {}),
          },
        });
      } catch (err) {
        // Made meanwhile — by this step's earlier attempt whose answer was lost, or else refused below.
        if ((err as { code?: number }).code !== alreadyExists || !(await findOurs(name, request.step)))
          throw err;
        return {
          keyName: name,
          created: false,
          description: `${name} was made by an earlier attempt of this step: nothing created`,
        };
      }
      const made = await readGcpKey(kms, name);
      if (made.primaryState !== 'ENABLED')
        throw ApplicationFailure.create({
          type: EkmError.CloudStateUnexpected,
          nonRetryable: true,
          message: `Cloud KMS created ${name} but reports its primary version ${made.primary ?? 'missing'} ${made.primaryState ?? ''}`,
        });
      return {
        keyName: name,
        created: true,
        description: `Cloud KMS CreateCryptoKey: ${name} (ENCRYPT_DECRYPT, ${old.protectionLevel}, primary ${made.primary?.split('/').pop()}${period !== undefined ? `, automatic rotation every ${period} s` : ''}), in the key ring of ${request.keyName}, labelled ${createdByLabel} with this worker’s marker`,
      };
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toGcpFailure(err, `create the replacement key ${name}`);
    }
  };
}

export interface GrantGcpOpenAiAccessRequest {
  keyName: string;
  /** OpenAI's principal as an IAM member (principal://…/workloadIdentityPools/POOL/subject/…). */
  principal: string;
  /** Default roles/cloudkms.cryptoKeyEncrypterDecrypter; a custom role with the two use permissions also fits. */
  role?: string;
}

export interface GcpAccessGrant {
  changed: boolean;
  description: string;
}

export function grantGcpOpenAiAccessActivity(clients: GcpClients) {
  return async function grantGcpOpenAiAccess({
    keyName,
    principal,
    role = encrypterDecrypterRole,
  }: GrantGcpOpenAiAccessRequest): Promise<GcpAccessGrant> {
    parseGcpKeyName(keyName);
    // Everyone, a whole domain or a whole pool is never what "OpenAI's principal" means.
    if (!isIamMember(principal) || /^(domain:|principalSet:|group:)/.test(principal))
      throw invalid(
        `principal: ${JSON.stringify(principal)} is not one principal (principal://…, serviceAccount:EMAIL or user:EMAIL)`,
      );
    if (!/^(roles\/[A-Za-z0-9_.]+|(projects|organizations)\/[^/]+\/roles\/[A-Za-z0-9_.]+)$/.test(role))
      throw invalid(`role: ${JSON.stringify(role)} is not an IAM role name`);
    try {
      const edit = await editIamPolicy(clients.kms, keyName, (bindings) => {
        const binding = bindings.find((b) => b.role === role && !b.condition);
        if (binding?.members.includes(principal)) return undefined;
        if (binding) binding.members.push(principal);
        else bindings.push({ role, members: [principal] });
        return bindings;
      });
      if (!edit.after)
        return {
          changed: false,
          description: `${principal} already holds ${role} on ${keyName}: nothing changed`,
        };
      if (!edit.after.bindings.some((b) => b.role === role && b.members.includes(principal)))
        throw ApplicationFailure.create({
          type: EkmError.CloudStateUnexpected,
          nonRetryable: true,
          message: `IAM accepted the policy on ${keyName} but its answer lacks ${principal} in ${role}`,
        });
      return {
        changed: true,
        description: `IAM SetIamPolicy on ${keyName}: ${principal} added to ${role}${edit.staleEtags ? ` (after ${edit.staleEtags} concurrent change(s): the etag was stale, the policy was read again)` : ''}`,
      };
    } catch (err) {
      throw toGcpFailure(err, `grant ${principal} ${role} on ${keyName}`);
    }
  };
}
