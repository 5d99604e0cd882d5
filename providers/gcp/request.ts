// A Google Cloud revocation request (Cloud KMS key name, OpenAI's principal, the method) and what its steps
// read and hand on.
import { z } from 'zod';
import { signatureSchema } from '../../common/signedStatement';
import { gcpKeyNameField } from './keyName';
import type {
  BlastRadius,
  ExternalKeyView,
  ProbeRound,
  ProjectView,
  ValidationView,
} from '../../common/openaiViews';
import { products, refineProductFields, revocationFields } from '../../common/revocationRequest';
import type { EkmActivities } from '../../activities';
import { awsRevocationMethods } from '../aws/request';

/** What snapshotGcpAccess reads: OpenAI's bindings on the key and its ring, the versions, the rotation. */
export type GcpAccessSnapshot = Awaited<ReturnType<EkmActivities['snapshotGcpAccess']>>;

/**
 * The ways to revoke OpenAI's access to a Cloud KMS key, narrowest first: take OpenAI's principal out of
 * the key's IAM policy, or disable every version of the key (and stop its automatic rotation, which would
 * otherwise make a fresh enabled primary) — which stops every user of the key, not only OpenAI.
 */
export const gcpRevocationMethods = ['remove-binding', 'disable-versions'] as const;
export type GcpRevocationMethod = (typeof gcpRevocationMethods)[number];

/**
 * OpenAI's principal as the key's binding names it: one IAM principal (OpenAI's Google subject through the
 * customer's workload identity pool, principal://…/subject/…). A pool, a domain or everyone is never "OpenAI".
 */
export const gcpPrincipalField = z
  .string()
  .trim()
  .regex(
    /^(principal:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]{4,32}\/subject\/[^\s/]{1,127}|serviceAccount:[^\s@]+@[^\s@]+)$/,
    "must be OpenAI's IAM principal as the key's binding names it (principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/SUBJECT)",
  );

export const gcpRevokeKeyInput = z
  .object({
    provider: z.literal('gcp'),
    product: z.enum(products, { message: `must be one of: ${products.join(', ')}` }).default('api'),
    keyName: gcpKeyNameField,
    principal: gcpPrincipalField,
    method: z
      .string()
      .superRefine((value, ctx) => {
        if (!(gcpRevocationMethods as readonly string[]).includes(value))
          ctx.addIssue({
            code: 'custom',
            message: `must be one of: ${gcpRevocationMethods.join(', ')}${(awsRevocationMethods as readonly string[]).includes(value) ? ` (${value} is an AWS method)` : ''}`,
          });
      })
      .transform((value) => value as GcpRevocationMethod),
    ...revocationFields,
    /**
     * Schedule the old key's destruction, behind its own gate. Cloud KMS destroys a version after the
     * key's destroy-scheduled duration, fixed when the key was made: the plan says when that is and warns
     * when it differs from the days asked for (the same 7–30 as AWS, so one request reads the same).
     */
    deleteAfterDays: z
      .number()
      .int('must be a whole number of days')
      .min(7, 'must be at least 7 days')
      .max(30, 'must be at most 30 days')
      .optional(),
    signature: signatureSchema.optional(),
  })
  .strict()
  .superRefine((input, ctx) => refineProductFields(input, ctx));

export type GcpRevokeKeyInput = z.input<typeof gcpRevokeKeyInput>;
export type GcpRevokeKeyRequest = z.output<typeof gcpRevokeKeyInput>;

/** A Cloud KMS key's baseline: the key (its primary version's state is what OpenAI meets), OpenAI's bindings. */
export interface GcpRevocationBaseline {
  provider: 'gcp';
  key: {
    name: string;
    /** The primary version's state (NO_PRIMARY_VERSION when there is none). */
    state: string;
    enabled: boolean;
    manager: string;
    /** How long a version stays DESTROY_SCHEDULED before it is gone: fixed when the key was made. */
    destroyScheduledDurationSeconds?: number;
  };
  access: GcpAccessSnapshot;
  externalKey?: ExternalKeyView;
  blastRadius: BlastRadius;
  projects: ProjectView[];
  validate?: ValidationView;
  probes: ProbeRound[];
}
