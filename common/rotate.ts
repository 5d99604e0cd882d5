// "How to rotate your key", for AWS: rotate now (RotateKeyOnDemand) or turn on / change automatic
// rotation (EnableKeyRotation with a period). What a rotateKey run is given and what it records.
// A rotation makes new key material for new data and keeps the old for old data: it must never change
// OpenAI's access, and the run proves that afterwards.
import { z } from 'zod';
import { signatureSchema } from './signedStatement';
import { keyArnField, refuseOtherAccount, roleArnField } from './awsArns';
import {
  aliasRepointRefusal,
  changeTicketField,
  externalKeyIdField,
  personField,
  probeSpec,
  type ProbeRound,
  type ValidationView,
} from './revoke';

/** AWS KMS: automatic rotation every 90 to 2560 days (365 by default). */
export const rotationPeriodDays = { min: 90, max: 2560 } as const;

const rotation = z
  .object({
    kind: z.string().superRefine((value, ctx) => {
      if (value === 'alias-repoint')
        ctx.addIssue({ code: 'custom', message: `is refused: ${aliasRepointRefusal}` });
      else if (value !== 'now' && value !== 'automatic')
        ctx.addIssue({ code: 'custom', message: 'must be now (rotate at once) or automatic (a period)' });
    }),
    periodDays: z
      .number()
      .int('must be a whole number of days')
      .min(rotationPeriodDays.min, `must be at least ${rotationPeriodDays.min} days (AWS KMS)`)
      .max(rotationPeriodDays.max, `must be at most ${rotationPeriodDays.max} days (AWS KMS)`)
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

export const rotateKeyInput = z
  .object({
    provider: z.literal('aws', {
      message: 'must be aws (this workflow does not take Google Cloud keys yet)',
    }),
    keyArn: keyArnField('ekm rotate'),
    roleArn: roleArnField,
    rotation,
    /** The registration whose validate must answer success before and after. */
    externalKeyId: externalKeyIdField.optional(),
    /** Objects that must stay readable: old data encrypted under the old material. */
    probes: z.array(probeSpec).max(50, 'at most 50 probes').default([]),
    requester: personField,
    reason: z.string().trim().min(1, 'must say why the key is rotated').max(2000, 'is too long'),
    changeTicket: changeTicketField,
    /** The requester's signature over the request as sent (`ekm … --signing-key`); see startStatement. */
    signature: signatureSchema.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    refuseOtherAccount(input.keyArn, input.roleArn, ctx);
    if (!input.externalKeyId && input.probes.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['externalKeyId'],
        message:
          'or probes: name at least one, so the run can prove OpenAI still reads the key after the rotation',
      });
  })
  // Probes are grouped by project, as a revocation's are.
  .transform((input) => ({ ...input, projectIds: [...new Set(input.probes.map((p) => p.projectId))] }));

export type RotateKeyInput = z.input<typeof rotateKeyInput>;
export type RotateKeyRequest = z.output<typeof rotateKeyInput>;
export type Rotation = RotateKeyRequest['rotation'];

/** The key's rotation as KMS reports it. */
export interface KeyRotationState {
  keyArn: string;
  automatic: boolean;
  /** Absent when KMS does not say (moto does not keep it). */
  periodDays?: number;
  nextRotationDate?: string;
  /** An on-demand rotation KMS has started and not finished. */
  onDemandInProgressSince?: string;
  /** Rotations so far, newest first (ListKeyRotations; at most 20 kept). */
  rotations: { date: string; type: string }[];
  readAt: string;
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
