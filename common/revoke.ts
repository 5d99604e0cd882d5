// What a revocation run is given (resource ids only — never hosts, credentials or waits), and the shapes
// its steps hand each other. Shared by the CLI, the revokeKey workflow and the activities.
import { z } from 'zod';
import { signatureSchema } from './signedStatement';
import { gcpKeyNameField } from './keys';
import { keyArnField, refuseOtherAccount, roleArnField } from './awsArns';
import type { EkmActivities } from '../activities';

/** What snapshotGcpAccess reads: OpenAI's bindings on the key and its ring, the versions, the rotation. */
export type GcpAccessSnapshot = Awaited<ReturnType<EkmActivities['snapshotGcpAccess']>>;

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

export const aliasRepointRefusal =
  'switching an alias to another key is a key revocation, not a rotation, and OpenAI does not recommend ' +
  'registering keys by alias; choose an explicit method (remove-trust, remove-key-permission, ' +
  'key-policy-deny, revoke-grant or disable-key) so the run can snapshot, verify and, if needed, restore it';

export const products = ['api', 'chatgpt-enterprise'] as const;
export type Product = (typeof products)[number];

export const probeKinds = ['file', 'response', 'model'] as const;
export type ProbeKind = (typeof probeKinds)[number];

const keyArn = keyArnField('ekm revoke');
const roleArn = roleArnField;
export const externalKeyIdField = z
  .string()
  .trim()
  .regex(/^extkey_[A-Za-z0-9_-]{1,128}$/, 'must be an OpenAI external key id (extkey_…)');
const projectId = z
  .string()
  .trim()
  .regex(/^proj_[A-Za-z0-9_-]{1,128}$/, 'must be an OpenAI project id (proj_…)');
export const personField = z
  .string()
  .trim()
  .min(1, 'must name a person (e.g. alice@example.com)')
  .max(200, 'is too long (at most 200 characters)');

export const changeTicketField = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_./#:-]{0,99}$/, 'must be a change-ticket reference such as CHG-1234');

export const probeSpec = z
  .object({
    projectId,
    kind: z.enum(probeKinds, { message: `must be one of: ${probeKinds.join(', ')}` }),
    id: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_:.-]{1,256}$/, 'must be an OpenAI object id (file-…, resp_…, ft:…)'),
  })
  .strict();
export type ProbeSpec = z.infer<typeof probeSpec>;

/** What the product asks of a request, the same for every cloud: the API needs its registration, projects
 * and probes; ChatGPT Enterprise its workspace, and nothing to probe. */
function refineProductFields(
  input: {
    product: Product;
    externalKeyId?: string;
    projectIds: string[];
    workspaceId?: string;
    probes: ProbeSpec[];
  },
  ctx: z.RefinementCtx,
): void {
  if (input.product === 'api') {
    if (!input.externalKeyId)
      ctx.addIssue({
        code: 'custom',
        path: ['externalKeyId'],
        message: 'is required for the API (extkey_…)',
      });
    if (input.projectIds.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['projectIds'],
        message: 'must list every project bound to the key (at least one)',
      });
    if (input.probes.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['probes'],
        message:
          'must name at least one object to probe (file, response or model): without one, "denied" proves nothing',
      });
    if (input.workspaceId)
      ctx.addIssue({ code: 'custom', path: ['workspaceId'], message: 'is for chatgpt-enterprise only' });
  } else {
    if (!input.workspaceId)
      ctx.addIssue({
        code: 'custom',
        path: ['workspaceId'],
        message: 'is required for chatgpt-enterprise',
      });
    if (input.probes.length)
      ctx.addIssue({
        code: 'custom',
        path: ['probes'],
        message: 'ChatGPT Enterprise has no API to probe: a person attests instead',
      });
  }
  input.probes.forEach((probe, i) => {
    if (!input.projectIds.includes(probe.projectId))
      ctx.addIssue({
        code: 'custom',
        path: ['probes', i, 'projectId'],
        message: `${probe.projectId} is not one of projectIds`,
      });
  });
  if (new Set(input.projectIds).size !== input.projectIds.length)
    ctx.addIssue({ code: 'custom', path: ['projectIds'], message: 'lists a project twice' });
}

/** What a revocation asks besides the key and the method: the same for every cloud. */
const revocationFields = {
  /** API: the external key registered with OpenAI. Required for the API, optional for ChatGPT Enterprise. */
  externalKeyId: externalKeyIdField.optional(),
  /** API: every project bound to the key (the run refuses if one is missing). */
  projectIds: z.array(projectId).max(100, 'at most 100 projects per run').default([]),
  /** ChatGPT Enterprise: the workspace whose key is revoked. */
  workspaceId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be the ChatGPT Enterprise workspace id')
    .optional(),
  /** Objects that must be readable before and denied after (the API's "previous data"). */
  probes: z.array(probeSpec).max(50, 'at most 50 probes').default([]),
  requester: personField,
  reason: z.string().trim().min(1, 'must say why the key is revoked').max(2000, 'is too long'),
  changeTicket: changeTicketField,
  /** Incidents use the break-glass approval policy of the worker's configuration. */
  urgency: z.enum(['normal', 'incident'], { message: 'must be normal or incident' }).default('normal'),
  /** Preflight and plan only, then end: nothing is changed and no gate opens (`ekm revoke plan`). */
  planOnly: z.boolean().default(false),
  /** Provision a replacement key, external key and project once the old project is archived. */
  replace: z.boolean().default(true),
};

export const revokeKeyInput = z
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

/** An AWS revocation (the name predates Google Cloud; `AnyRevokeKeyInput` is either cloud's). */
export type RevokeKeyInput = z.input<typeof revokeKeyInput>;
export type RevokeKeyRequest = z.output<typeof revokeKeyInput>;

// --- Google Cloud KMS -------------------------------------------------------------------------------------

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

/** What `revokeKey` is given: a revocation on either cloud, told apart by `provider`. */
export const anyRevokeKeyInput = z.discriminatedUnion('provider', [revokeKeyInput, gcpRevokeKeyInput]);
export type AnyRevokeKeyInput = z.input<typeof anyRevokeKeyInput>;
export type AnyRevokeKeyRequest = z.output<typeof anyRevokeKeyInput>;

/**
 * One id space for every run that changes a key: a second start for the same key is refused. The key is
 * its ARN on AWS and its resource name on Google Cloud (both unique, neither has a second spelling).
 */
export function keyWorkflowId(keyArnValue: string): string {
  return `ekm-key:${keyArnValue}`;
}
/** A plan-only run changes nothing, so it takes no lock: its id is its own. */
export function planWorkflowId(keyArnValue: string, unique: string): string {
  return `ekm-plan:${keyArnValue}:${unique}`;
}
/** The lock that keeps two revocations through the same role apart. */
export function roleLockWorkflowId(roleArnValue: string): string {
  return `ekm-role-lock:${roleArnValue}`;
}

// --- What the AWS steps read and hand on -----------------------------------------------------------------

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

export interface RevocationChange {
  method: AwsRevocationMethod;
  /** False when the state already was revoked this way (a retry after a crash). */
  changed: boolean;
  /** The exact change, in words an auditor reads. */
  description: string;
}

// --- What the OpenAI steps read and hand on --------------------------------------------------------------

export interface ProjectView {
  id: string;
  name: string;
  status: 'active' | 'archived' | string;
  externalKeyId: string | null;
}

export interface ExternalKeyView {
  id: string;
  name: string;
  type: string;
  roleArn?: string;
  kmsArn?: string;
  externalId?: string;
  /** A GCP registration: the key it names and OpenAI's workload identity at the customer. */
  gcp?: GcpExternalKeyFields;
  projectIds: string[];
}

/** OpenAI's GCP registration body (reference/openai-ekm.md), as the workflow hands it on. */
export interface GcpExternalKeyFields {
  /** projects/{kms_project_id}/locations/{kms_key_location}/keyRings/{kms_key_ring_name}/cryptoKeys/{kms_key_name} */
  keyName: string;
  workloadIdentityProjectNumber: string;
  workloadIdentityPoolId: string;
  workloadIdentityProviderId: string;
  audience: string;
}

/** Every registration that shares the key or the role, and the active projects bound to each. */
export interface BlastRadius {
  externalKeys: ExternalKeyView[];
  /** Active projects bound to any of those external keys. */
  projects: ProjectView[];
}

export type ProbeOutcome = 'readable' | 'denied' | 'unknown';

export interface ProbeResult extends ProbeSpec {
  outcome: ProbeOutcome;
  httpStatus: number | null;
  /** OpenAI's error code when denied or unknown (e.g. external_key_access_denied). */
  code: string | null;
  requestId: string | null;
  why: string;
}

/** A probe round for one project: each object, and a control call that shows the API itself answers. */
export interface ProbeRound {
  projectId: string;
  at: string;
  probes: ProbeResult[];
  control: { ok: boolean; httpStatus: number | null; requestId: string | null; why: string };
}

export type ValidationOutcomeView = 'success' | 'revoked' | 'unknown';

/** One validate answer as the workflow keeps it (the activity's ValidationRecord has this shape). */
export interface ValidationView {
  externalKeyId: string;
  outcome: ValidationOutcomeView;
  why: string;
  httpStatus: number;
  requestId: string | null;
  answeredAt: string;
}

/**
 * The state read before anything changes; the plan's hash covers it, so drift means a new gate. This is
 * AWS's (the name predates Google Cloud); `AnyRevocationBaseline` is either cloud's.
 */
export interface RevocationBaseline {
  key: { arn: string; state: string; enabled: boolean; manager: string };
  access: AwsAccessSnapshot;
  externalKey?: ExternalKeyView;
  blastRadius: BlastRadius;
  projects: ProjectView[];
  validate?: ValidationView;
  probes: ProbeRound[];
}

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

export type AnyRevocationBaseline = RevocationBaseline | GcpRevocationBaseline;

/** The revoke step's result on either cloud (the GCP activity's has this shape). */
export interface AnyRevocationChange {
  method: AwsRevocationMethod | GcpRevocationMethod;
  changed: boolean;
  description: string;
}

/** `ekm restore`: puts back what a revocation removed, from the snapshot that run kept. */
export const restoreAccessInput = z
  .object({
    revokeWorkflowId: z.string().trim().min(1, 'must name the revocation run (its workflow id)'),
    revokeRunId: z.string().uuid('must be the revocation run id (see `ekm status`)'),
    requester: personField,
    reason: z.string().trim().min(1, 'must say why access is restored').max(2000, 'is too long'),
    changeTicket: changeTicketField,
    /** The requester's signature over the request as sent (`ekm … --signing-key`); see startStatement. */
    signature: signatureSchema.optional(),
  })
  .strict();
export type RestoreAccessInput = z.input<typeof restoreAccessInput>;
