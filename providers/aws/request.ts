// An AWS revocation request (key ARN, OpenAI's role, the method) and what its steps read and hand on.
import { z } from 'zod';
import { signatureSchema } from '../../common/signedStatement';
import { keyArnField, refuseOtherAccount, roleArnField } from './arns';
import type {
  BlastRadius,
  ExternalKeyView,
  ProbeRound,
  ProjectView,
  ValidationView,
} from '../../common/openaiViews';
import { products, refineProductFields, revocationFields } from '../../common/revocationRequest';

/**
 * The ways to revoke OpenAI's access to an AWS key, in the runbook's words. `alias-repoint` is listed so
 * that asking for it gets the runbook's explanation instead of "unknown method".
 */
export const awsRevocationMethods = [
  'remove-trust',
  'remove-key-permission',
  'key-policy-deny',
  'revoke-grant',
  'disable-key',
] as const;
export type AwsRevocationMethod = (typeof awsRevocationMethods)[number];
/**
 * The methods that edit the customer role (its trust policy, its inline policies), which other keys may be
 * used through: runs with these take turns on the role; the others edit the key alone.
 */
export const awsMethodsChangingTheRole: readonly string[] = ['remove-trust', 'remove-key-permission'];

export const aliasRepointRefusal =
  'switching an alias to another key is a key revocation, not a rotation, and OpenAI does not recommend ' +
  'registering keys by alias; choose an explicit method (remove-trust, remove-key-permission, ' +
  'key-policy-deny, revoke-grant or disable-key) so the run can snapshot, verify and, if needed, restore it';

const keyArn = keyArnField('ekm revoke');
const roleArn = roleArnField;

export const awsRevokeKeyInput = z
  .object({
    provider: z.literal('aws', { message: 'must be aws (a Google Cloud key takes the gcp request)' }),
    product: z.enum(products, { message: `must be one of: ${products.join(', ')}` }).default('api'),
    keyArn,
    roleArn,
    method: z
      .string()
      .superRefine((value, ctx) => {
        if (value === 'alias-repoint')
          ctx.addIssue({ code: 'custom', message: `is refused: ${aliasRepointRefusal}` });
        else if (!(awsRevocationMethods as readonly string[]).includes(value))
          ctx.addIssue({ code: 'custom', message: `must be one of: ${awsRevocationMethods.join(', ')}` });
      })
      .transform((value) => value as AwsRevocationMethod),
    ...revocationFields,
    /** Schedule the old key's deletion after this many days (7–30), behind its own gate; omit to keep it. */
    deleteAfterDays: z
      .number()
      .int('must be a whole number of days')
      .min(7, 'must be at least 7 days (AWS KMS waiting period)')
      .max(30, 'must be at most 30 days (AWS KMS waiting period)')
      .optional(),
    /** The requester's signature over the request as sent (`ekm … --signing-key`); see startStatement. */
    signature: signatureSchema.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    refuseOtherAccount(input.keyArn, input.roleArn, ctx);
    refineProductFields(input, ctx);
  });

/** An AWS revocation (the name predates Google Cloud; `RevokeKeyInput` is either cloud's). */
export type AwsRevokeKeyInput = z.input<typeof awsRevokeKeyInput>;
export type AwsRevokeKeyRequest = z.output<typeof awsRevokeKeyInput>;

export interface AwsGrantSnapshot {
  grantId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: unknown;
}

/** Everything a method could remove, read before the change so `restore` can put exactly it back. */
export interface AwsAccessSnapshot {
  takenAt: string;
  key: { arn: string; keyId: string; state: string; policy: string };
  role: {
    arn: string;
    name: string;
    trustPolicy: string;
    inlinePolicies: { name: string; document: string }[];
    attachedPolicies: { arn: string; name: string }[];
  };
  /** Grants on the key whose grantee is the role. */
  grants: AwsGrantSnapshot[];
  /** Who else the key and the role serve, for the blast radius. */
  otherKeyPrincipals: string[];
  otherKeysTheRoleCanUse: string[];
}

export interface AwsRevocationChange {
  method: AwsRevocationMethod;
  /** False when the state already was revoked this way (a retry after a crash). */
  changed: boolean;
  /** The exact change, in words an auditor reads. */
  description: string;
}

/**
 * The state read before anything changes; the plan's hash covers it, so drift means a new gate. This is
 * AWS's (the name predates Google Cloud); `RevocationBaseline` is either cloud's.
 */
export interface AwsRevocationBaseline {
  key: { arn: string; state: string; enabled: boolean; manager: string };
  access: AwsAccessSnapshot;
  externalKey?: ExternalKeyView;
  blastRadius: BlastRadius;
  projects: ProjectView[];
  validate?: ValidationView;
  probes: ProbeRound[];
}
