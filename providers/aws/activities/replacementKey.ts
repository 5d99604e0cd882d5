// The runbook's replacement: a new key and a role OpenAI may assume to use it. CreateKey has no client
// token, so a lost answer cannot be retried blindly: the create is sent exactly once, tagged with the run
// and step that made it and with this worker's ownership marker, and a failed create is reconciled by
// finding the key by those tags in AWS's tag index (never by listing the account's keys) — adopted only
// when the marker proves this worker made it (the run's ids are public: anyone who can create a key can
// copy those tags). The role has a name derived from the run and carries the marker too, so granting
// access is an idempotent "make it so" on a role that is ours, and a role of that name someone else made
// is never re-pointed.
import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  ListResourceTagsCommand,
  type KMSClient,
  type Tag,
} from '@aws-sdk/client-kms';
import {
  GetResourcesCommand,
  type ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { Ownership } from '../../../activities/ownership';
import { nameTaken, type Candidate } from '../../../activities/nameTaken';
import type { AwsClients } from './clients';
import { toAwsFailure } from './errors';
import { decodePolicyText, samePolicy } from './policyEdits';

export const workflowIdTag = 'ekm:workflow-id';
export const stepTag = 'ekm:step';
/** The worker's HMAC over the run and step (activities/ownership.ts): what proves the key or role is ours. */
export const ownerProofTag = 'ekm:owner-proof';
/** The inline policy on the replacement role that lets it use the replacement key. */
export const replacementKeyPolicyName = 'openai-ekm-kms';

export interface ReplacementKey {
  keyArn: string;
  keyId: string;
}

export interface ReplacementKeyRequest {
  /** The run that makes the key; with `step`, what findReplacementKey looks for. */
  workflowId: string;
  step: string;
  description: string;
  /** The key it replaces: part of the action the archive gate approved (activities/approvedActions.ts). */
  replaces?: string;
  /**
   * The key it replaces, for where the replacement goes: with `aws.accounts`, that key's account and
   * region (accountClients.ts). Absent in runs from before `replacement-in-the-keys-account`.
   */
  oldKeyArn?: string;
}

/**
 * The SDK retries throttling, 5xx and network errors on its own; for a create that may have happened
 * before the error, that would make a second key. Overriding the client's retry middleware, by its name, in
 * this one command's stack sends the request exactly once.
 */
function sentOnce<C extends CreateKeyCommand>(command: C): C {
  command.middlewareStack.add((next) => (args) => next(args), {
    name: 'retryMiddleware',
    tags: ['RETRY'],
    step: 'finalizeRequest',
    priority: 'high',
    override: true,
  });
  return command;
}

export function createReplacementKeyOnce(clients: AwsClients, ownership: Ownership) {
  return async function createReplacementKey({
    workflowId,
    step,
    description,
  }: ReplacementKeyRequest): Promise<ReplacementKey> {
    try {
      const { KeyMetadata } = await clients.kms.send(
        sentOnce(
          new CreateKeyCommand({
            Description: description,
            KeySpec: 'SYMMETRIC_DEFAULT',
            KeyUsage: 'ENCRYPT_DECRYPT',
            Tags: [
              { TagKey: workflowIdTag, TagValue: workflowId },
              { TagKey: stepTag, TagValue: step },
              { TagKey: ownerProofTag, TagValue: ownership.marker(step) },
            ],
          }),
        ),
      );
      if (!KeyMetadata?.Arn || !KeyMetadata.KeyId)
        throw new Error('CreateKey answered without the key ARN and id');
      return { keyArn: KeyMetadata.Arn, keyId: KeyMetadata.KeyId };
    } catch (err) {
      const mapped = toAwsFailure(
        err,
        `create the replacement key (${workflowIdTag}=${workflowId}, ${stepTag}=${step})`,
      );
      // Throttled keeps the path it had before it was typed: a one-attempt create reconciles by tags.
      if (mapped instanceof ApplicationFailure && mapped.type !== EkmError.Throttled) throw mapped;
      // The request may have created the key before failing: never retried; the caller reconciles by tags.
      throw ApplicationFailure.create({
        type: EkmError.CreateOutcomeUnknown,
        message: `CreateKey failed (${(err as { name?: string }).name ?? 'Error'}: ${(err as Error).message}) and may or may not have made a key: look for the key tagged ${workflowIdTag}=${workflowId}, ${stepTag}=${step} (findReplacementKey) before creating another`,
        nonRetryable: true,
      });
    }
  };
}

export async function tagsOf(kms: KMSClient, keyId: string): Promise<Tag[] | undefined> {
  const tags: Tag[] = [];
  let marker: string | undefined;
  try {
    do {
      const page = await kms.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: marker }));
      tags.push(...(page.Tags ?? []));
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
  } catch (err) {
    // A key whose policy keeps the worker out was not made by it: ours get the default policy, which
    // delegates to the account's IAM, where the worker's permissions live.
    if ((err as { name?: string }).name === 'AccessDeniedException') return undefined;
    throw err;
  }
  return tags;
}

/** The KMS keys of this account and region carrying every one of `tags`, from AWS's tag index. */
async function keysTagged(tagging: ResourceGroupsTaggingAPIClient, tags: Record<string, string>) {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await tagging.send(
      new GetResourcesCommand({
        ResourceTypeFilters: ['kms:key'],
        TagFilters: Object.entries(tags).map(([Key, value]) => ({ Key, Values: [value] })),
        ...(token ? { PaginationToken: token } : {}),
      }),
    );
    for (const r of page.ResourceTagMappingList ?? []) if (r.ResourceARN) arns.push(r.ResourceARN);
    token = page.PaginationToken || undefined;
  } while (token);
  return arns;
}

/** The key's state, or undefined when KMS no longer has it (the tag index can outlive a deleted key). */
async function keyStateOf(kms: KMSClient, keyId: string): Promise<string | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState;
  } catch (err) {
    if ((err as { name?: string }).name === 'NotFoundException') return undefined;
    throw err;
  }
}

export function findReplacementKey(clients: AwsClients, ownership: Ownership) {
  const { kms, tagging } = clients;
  return async function findTaggedReplacementKey({
    workflowId,
    step,
  }: Pick<ReplacementKeyRequest, 'workflowId' | 'step' | 'oldKeyArn'>): Promise<ReplacementKey | null> {
    const what = `find the replacement key tagged ${workflowIdTag}=${workflowId}, ${stepTag}=${step}`;
    if (!tagging)
      throw ApplicationFailure.create({
        type: EkmError.WorkerMisconfigured,
        message: `${what}: the worker built its AWS clients without the Resource Groups Tagging API client`,
        nonRetryable: true,
      });
    try {
      // AWS's tag index answers by the run's tags, so the look costs the same in an account of ten keys
      // or ten thousand (listing every key and its tags did not). The index can lag a create by a little:
      // the run looks again, over seconds, before it asks a person (workflows/revoke/provision.ts).
      const arns = await keysTagged(tagging, { [workflowIdTag]: workflowId, [stepTag]: step });
      const tagged: (ReplacementKey & { proof?: string })[] = [];
      for (const keyArn of arns) {
        const keyId = keyArn.slice(keyArn.lastIndexOf('/') + 1);
        // The proof is read from KMS itself, the key's own record, not from the index's copy.
        const tags = await tagsOf(kms, keyId);
        if (tags === undefined) continue;
        const value = (k: string) => tags.find((t) => t.TagKey === k)?.TagValue;
        if (value(workflowIdTag) !== workflowId || value(stepTag) !== step) continue;
        // A tagged key a person has already scheduled for deletion is one they decided not to keep.
        const state = await keyStateOf(kms, keyId);
        if (state === undefined || state === 'PendingDeletion') continue;
        tagged.push({ keyArn, keyId, proof: value(ownerProofTag) });
      }
      const judged = tagged.map((k) => ({
        keyArn: k.keyArn,
        keyId: k.keyId,
        ours: ownership.isOurs(step, k.proof),
      }));
      const ours = judged.filter((k) => k.ours);
      // Anything carrying this run's tags without its proof was made by someone else: a person looks.
      if (ours.length < judged.length || ours.length > 1)
        throw nameTaken(
          what,
          `${workflowIdTag}=${workflowId}, ${stepTag}=${step}`,
          judged.map((k): Candidate<ReplacementKey> => ({
            id: k.keyArn,
            description: k.ours
              ? 'carries this worker’s proof, but so does another key: a person decides which to keep'
              : `carries this run’s tags without this worker’s ${ownerProofTag}`,
            value: { keyArn: k.keyArn, keyId: k.keyId },
          })),
        );
      const [key] = ours;
      return key ? { keyArn: key.keyArn, keyId: key.keyId } : null;
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toAwsFailure(err, what);
    }
  };
}

/** The trust OpenAI needs (reference/openai-ekm.md): its principal, with sts:ExternalId = the org or project id. */
export function openAiTrustPolicy(vendorPrincipals: string[], externalId: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OpenAIEnterpriseKeyManagement',
        Effect: 'Allow',
        Principal: { AWS: vendorPrincipals.length === 1 ? vendorPrincipals[0] : vendorPrincipals },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

/** What OpenAI does with the key: Encrypt and Decrypt, on this key only. */
export function openAiKeyUsePolicy(keyArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'OpenAIUseOfKey', Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: keyArn },
    ],
  };
}

export interface OpenAiAccessRequest {
  keyArn: string;
  /** Deterministic, so a retry finds the role an earlier attempt made. */
  roleName: string;
  externalId: string;
  /**
   * The step the role is made for: its marker proves a role of that name is this run's. Absent in runs
   * from before the marker, whose roles carry none.
   */
  step?: string;
  /** A person chose (`ekm resolve --adopt`) to use the role of that name although nothing proves it ours. */
  adopt?: boolean;
}

/** The role's ARN and trust document, or undefined when there is no such role. */
async function readRole(
  iam: IAMClient,
  roleName: string,
): Promise<{ arn: string; trust: string; proof?: string } | undefined> {
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    if (!Role?.Arn) throw new Error(`GetRole answered without the ARN of ${roleName}`);
    return {
      arn: Role.Arn,
      trust: decodePolicyText(Role.AssumeRolePolicyDocument ?? '{}'),
      proof: Role.Tags?.find((t) => t.Key === ownerProofTag)?.Value,
    };
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchEntityException') return undefined;
    throw err;
  }
}

export function grantOpenAiAccess(
  clients: AwsClients,
  options: { vendorPrincipals: string[]; ownership: Ownership },
) {
  const { iam } = clients;
  const { ownership } = options;
  return async function grantOpenAiAccessToKey({
    keyArn,
    roleName,
    externalId,
    step,
    adopt,
  }: OpenAiAccessRequest): Promise<{ roleArn: string }> {
    if (options.vendorPrincipals.length === 0)
      throw ApplicationFailure.create({
        type: EkmError.WorkerMisconfigured,
        message: "no OpenAI principal configured: the worker's aws.openAiPrincipals must name OpenAI's role",
        nonRetryable: true,
      });
    const trust = JSON.stringify(openAiTrustPolicy(options.vendorPrincipals, externalId));
    const keyUse = JSON.stringify(openAiKeyUsePolicy(keyArn));
    try {
      let role = await readRole(iam, roleName);
      if (!role) {
        try {
          const { Role } = await iam.send(
            new CreateRoleCommand({
              RoleName: roleName,
              AssumeRolePolicyDocument: trust,
              Description: 'ekm: the role OpenAI assumes to use the replacement EKM key',
              ...(step ? { Tags: [{ Key: ownerProofTag, Value: ownership.marker(step) }] } : {}),
            }),
          );
          if (!Role?.Arn) throw new Error(`CreateRole answered without the ARN of ${roleName}`);
          role = { arn: Role.Arn, trust, ...(step ? { proof: ownership.marker(step) } : {}) };
        } catch (err) {
          // An earlier attempt whose answer was lost made it: carry on with what is there.
          if ((err as { name?: string }).name !== 'EntityAlreadyExistsException') throw err;
          role = await readRole(iam, roleName);
          if (!role) throw err;
        }
      }
      // A role of this name this worker did not make (planted, or another run's) is never re-pointed
      // unless a person chose to adopt it.
      if (step && !adopt && !ownership.isOurs(step, role.proof))
        throw nameTaken(`give OpenAI access to ${keyArn}`, `role ${roleName}`, [
          {
            id: roleName,
            description: `the role ${role.arn} exists without this worker’s ${ownerProofTag}`,
            value: { roleArn: role.arn },
          },
        ]);
      if (!samePolicy(role.trust, trust))
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: trust }));

      let current: string | undefined;
      try {
        const { PolicyDocument } = await iam.send(
          new GetRolePolicyCommand({ RoleName: roleName, PolicyName: replacementKeyPolicyName }),
        );
        current = PolicyDocument === undefined ? undefined : decodePolicyText(PolicyDocument);
      } catch (err) {
        if ((err as { name?: string }).name !== 'NoSuchEntityException') throw err;
      }
      if (current === undefined || !samePolicy(current, keyUse))
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: replacementKeyPolicyName,
            PolicyDocument: keyUse,
          }),
        );
      return { roleArn: role.arn };
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toAwsFailure(err, `grant OpenAI access to ${keyArn} through role ${roleName}`);
    }
  };
}
