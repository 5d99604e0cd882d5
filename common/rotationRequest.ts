// "How to rotate your key": rotate now, or turn on / change automatic rotation (a period). What every
// cloud's rotation request asks besides its key and OpenAI's name at it (providers/<cloud>/rotateRequest.ts),
// and what a rotation run records whatever the cloud. A rotation makes new key material for new data and
// keeps the old for old data: it must never change OpenAI's access, and the run proves that afterwards.
import { z } from 'zod';
import { signatureSchema } from './signedStatement';
import { changeTicketField, externalKeyIdField, personField, probeSpec } from './revocationRequest';
import { type ProbeRound, type ValidationView } from './openaiViews';

/** The rotation a run is asked for, with the cloud's own bounds on the period and refusal of alias-repoint. */
export function rotationField(
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

/** The same two kinds on every cloud; the period in days (Cloud KMS is given it in seconds). */
export type Rotation = z.output<ReturnType<typeof rotationField>>;

/** What a rotation on either cloud is asked besides the key: who proves access, who asks and why. */
export const rotationRequestFields = {
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

export function refuseNothingToProve(
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
export const withProjectIds = <T extends { probes: { projectId: string }[] }>(input: T) => ({
  ...input,
  projectIds: [...new Set(input.probes.map((p) => p.projectId))],
});

/** The key's rotation as either cloud reports it: what an auditor reads for both. */
export interface RotationStateCommon {
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

/** What a rotate step answers, with the key's rotation after it in its cloud's shape. */
export interface RotationChangeOf<State extends RotationStateCommon> {
  changed: boolean;
  description: string;
  after: State;
}

/** Before and after: OpenAI validates and reads old data. */
export interface AccessProof {
  validate?: ValidationView;
  probes: ProbeRound[];
}
