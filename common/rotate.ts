// "How to rotate your key": rotate now, or turn on / change automatic rotation (a period). On AWS KMS
// that is RotateKeyOnDemand or EnableKeyRotation; on Google Cloud KMS a new version made primary, or the
// key's rotation period and next rotation time. What a rotateKey run is given and what it records.
// A rotation makes new key material for new data and keeps the old for old data: it must never change
// OpenAI's access, and the run proves that afterwards.
import { z } from 'zod';
import type { EkmActivities } from '../activities';
import { signatureSchema } from './signedStatement';
import { keyArnField, refuseOtherAccount, roleArnField } from './awsArns';
import { gcpKeyNameField } from './keys';
import { aliasRepointRefusal } from '../providers/aws/request';
import { changeTicketField, externalKeyIdField, personField, probeSpec } from './revocationRequest';
import { gcpPrincipalField } from '../providers/gcp/request';
import { type ProbeRound, type ValidationView } from './openaiViews';

/** AWS KMS: automatic rotation every 90 to 2560 days (365 by default). */
export const rotationPeriodDays = { min: 90, max: 2560 } as const;

/** Google Cloud KMS: a rotation period of 24 hours to 876,000 hours, in whole days here. */
export const gcpRotationPeriodDays = { min: 1, max: 36_500 } as const;

const secondsPerDay = 86_400;

/** Cloud KMS takes the period in seconds; a run is asked for it in days. */
export function periodSecondsOf(periodDays: number): number {
  return periodDays * secondsPerDay;
}

/** Cloud KMS has no aliases: asking to point OpenAI at another key gets the same reason in its words. */
const gcpRepointRefusal =
  'Cloud KMS keys have no aliases, and pointing OpenAI at another key is a key revocation, not a ' +
  'rotation; choose `ekm revoke --provider gcp` (remove-binding or disable-versions) for that';

/** The rotation a run is asked for, with the cloud's own bounds on the period and refusal of alias-repoint. */
function rotationField(
  period: { min: number; max: number },
  cloud: string,
  periodLimit: { min: string; max: string },
  repointRefusal: string,
) {
  return z
    .object({
      kind: z.string().superRefine((value, ctx) => {
        if (value === 'alias-repoint')
          ctx.addIssue({ code: 'custom', message: `is refused: ${repointRefusal}` });
        else if (value !== 'now' && value !== 'automatic')
          ctx.addIssue({ code: 'custom', message: 'must be now (rotate at once) or automatic (a period)' });
      }),
      periodDays: z
        .number()
        .int('must be a whole number of days')
        .min(period.min, `must be at least ${periodLimit.min} (${cloud})`)
        .max(period.max, `must be at most ${periodLimit.max} (${cloud})`)
        .optional(),
    })
    .strict()
    .superRefine((r, ctx) => {
      if (r.kind === 'automatic' && r.periodDays === undefined)
        ctx.addIssue({ code: 'custom', path: ['periodDays'], message: 'is required for automatic rotation' });
      if (r.kind === 'now' && r.periodDays !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['periodDays'],
          message: 'belongs to automatic rotation; rotate now takes none',
        });
    })
    .transform((r) =>
      r.kind === 'now'
        ? ({ kind: 'now' } as const)
        : ({ kind: 'automatic', periodDays: r.periodDays! } as const),
    );
}

const awsRotation = rotationField(
  rotationPeriodDays,
  'AWS KMS',
  { min: `${rotationPeriodDays.min} days`, max: `${rotationPeriodDays.max} days` },
  aliasRepointRefusal,
);
const gcpRotation = rotationField(
  gcpRotationPeriodDays,
  'Cloud KMS allows 24 hours to 876,000 hours',
  { min: '1 day', max: `${gcpRotationPeriodDays.max} days` },
  gcpRepointRefusal,
);

/** What a rotation on either cloud is asked besides the key: who proves access, who asks and why. */
const rotationRequestFields = {
  /** The registration whose validate must answer success before and after. */
  externalKeyId: externalKeyIdField.optional(),
  /** Objects that must stay readable: old data encrypted under the old material. */
  probes: z.array(probeSpec).max(50, 'at most 50 probes').default([]),
  requester: personField,
  reason: z.string().trim().min(1, 'must say why the key is rotated').max(2000, 'is too long'),
  changeTicket: changeTicketField,
  /** The requester's signature over the request as sent (`ekm … --signing-key`); see startStatement. */
  signature: signatureSchema.optional(),
};

function refuseNothingToProve(
  input: { externalKeyId?: string; probes: unknown[] },
  ctx: z.RefinementCtx,
): void {
  if (!input.externalKeyId && input.probes.length === 0)
    ctx.addIssue({
      code: 'custom',
      path: ['externalKeyId'],
      message:
        'or probes: name at least one, so the run can prove OpenAI still reads the key after the rotation',
    });
}

// Probes are grouped by project, as a revocation's are.
const withProjectIds = <T extends { probes: { projectId: string }[] }>(input: T) => ({
  ...input,
  projectIds: [...new Set(input.probes.map((p) => p.projectId))],
});

/** An AWS KMS rotation (the name predates Google Cloud; `anyRotateKeyInput` takes either cloud's). */
export const rotateKeyInput = z
  .object({
    provider: z.literal('aws'),
    keyArn: keyArnField('ekm rotate'),
    roleArn: roleArnField,
    rotation: awsRotation,
    ...rotationRequestFields,
  })
  .strict()
  .superRefine((input, ctx) => {
    refuseOtherAccount(input.keyArn, input.roleArn, ctx);
    refuseNothingToProve(input, ctx);
  })
  .transform(withProjectIds);

/** A Cloud KMS rotation: the key by its resource name, OpenAI by the principal its binding names. */
export const gcpRotateKeyInput = z
  .object({
    provider: z.literal('gcp'),
    keyName: gcpKeyNameField,
    principal: gcpPrincipalField,
    rotation: gcpRotation,
    ...rotationRequestFields,
  })
  .strict()
  .superRefine(refuseNothingToProve)
  .transform(withProjectIds);

/** What `rotateKey` is given: a rotation on either cloud, told apart by `provider`. */
export const anyRotateKeyInput = z.discriminatedUnion('provider', [rotateKeyInput, gcpRotateKeyInput], {
  message: 'must be aws (a key ARN and role) or gcp (a Cloud KMS key name and principal)',
});

/** An AWS rotation (the names predate Google Cloud; `AnyRotateKeyInput` is either cloud's). */
export type RotateKeyInput = z.input<typeof rotateKeyInput>;
export type RotateKeyRequest = z.output<typeof rotateKeyInput>;
export type GcpRotateKeyInput = z.input<typeof gcpRotateKeyInput>;
export type GcpRotateKeyRequest = z.output<typeof gcpRotateKeyInput>;
export type AnyRotateKeyInput = z.input<typeof anyRotateKeyInput>;
export type AnyRotateKeyRequest = z.output<typeof anyRotateKeyInput>;
/** The same two kinds on both clouds; the period in days (Cloud KMS is given it in seconds). */
export type Rotation = AnyRotateKeyRequest['rotation'];

/** What readGcpKeyRotation answers (providers/gcp/activities/keyRotation.ts). */
type GcpKeyRotationState = Awaited<ReturnType<EkmActivities['readGcpKeyRotation']>>;

/** The key's rotation as either cloud reports it: what an auditor reads for both. */
interface RotationStateCommon {
  automatic: boolean;
  /** Absent when KMS does not say (moto does not keep it); Cloud KMS's period may be part of a day. */
  periodDays?: number;
  nextRotationDate?: string;
  /**
   * Rotations so far, newest first. AWS: ListKeyRotations (at most 20 kept). Google Cloud: every version
   * after the key's first (each is new material from a rotation), at most 19.
   */
  rotations: { date: string; type: string }[];
  readAt: string;
}

export interface AwsKeyRotationState extends RotationStateCommon {
  keyArn: string;
  /** An on-demand rotation KMS has started and not finished. */
  onDemandInProgressSince?: string;
}

export interface GcpKeyRotationView extends RotationStateCommon {
  /** The key's resource name. */
  keyName: string;
  /** What the rotate-now step decides from (the primary, the newest version number). */
  gcp: {
    periodSeconds?: number;
    primaryVersion?: string;
    primaryState?: string;
    latestVersion: number;
    versions: GcpKeyRotationState['versions'];
  };
}

/** The key's rotation, in one shape per cloud (an AWS state names `keyArn`, a Google Cloud one `keyName`). */
export type KeyRotationState = AwsKeyRotationState | GcpKeyRotationView;

const versionNumber = (name: string) => Number(name.split('/').pop());

/** readGcpKeyRotation's answer in the shape both clouds' records share. */
export function gcpRotationView(s: GcpKeyRotationState): GcpKeyRotationView {
  return {
    keyName: s.keyName,
    automatic: s.automatic,
    ...(s.periodSeconds !== undefined ? { periodDays: s.periodSeconds / secondsPerDay } : {}),
    ...(s.nextRotationDate ? { nextRotationDate: s.nextRotationDate } : {}),
    rotations: s.versions
      .filter((v) => versionNumber(v.name) > 1)
      .map((v) => ({
        date: v.createTime ?? s.readAt,
        type: `version ${versionNumber(v.name)} ${v.state}${v.name === s.primaryVersion ? ', primary' : ''}`,
      })),
    readAt: s.readAt,
    gcp: {
      ...(s.periodSeconds !== undefined ? { periodSeconds: s.periodSeconds } : {}),
      ...(s.primaryVersion ? { primaryVersion: s.primaryVersion, primaryState: s.primaryState } : {}),
      latestVersion: s.latestVersion,
      versions: s.versions,
    },
  };
}

export interface RotationChange {
  changed: boolean;
  description: string;
  after: KeyRotationState;
}

/** Before and after: OpenAI validates and reads old data. */
export interface AccessProof {
  validate?: ValidationView;
  probes: ProbeRound[];
}
