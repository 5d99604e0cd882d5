// An AWS KMS rotation: RotateKeyOnDemand, or EnableKeyRotation with a period; the key by its ARN, OpenAI
// by the role it assumes.
import { z } from 'zod';
import { keyArnField, refuseOtherAccount, roleArnField } from './arns';
import { aliasRepointRefusal } from './request';
import {
  refuseNothingToProve,
  rotationField,
  rotationRequestFields,
  withProjectIds,
  type RotationStateCommon,
} from '../../common/rotationRequest';

/** AWS KMS: automatic rotation every 90 to 2560 days (365 by default). */
export const rotationPeriodDays = { min: 90, max: 2560 } as const;

const awsRotation = rotationField(
  rotationPeriodDays,
  'AWS KMS',
  { min: `${rotationPeriodDays.min} days`, max: `${rotationPeriodDays.max} days` },
  aliasRepointRefusal,
);

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

/** An AWS rotation (the names predate Google Cloud; `AnyRotateKeyInput` is either cloud's). */
export type RotateKeyInput = z.input<typeof rotateKeyInput>;
export type RotateKeyRequest = z.output<typeof rotateKeyInput>;

export interface AwsKeyRotationState extends RotationStateCommon {
  keyArn: string;
  /** An on-demand rotation KMS has started and not finished. */
  onDemandInProgressSince?: string;
}
