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

/** An AWS KMS rotation (the name predates Google Cloud; `rotateKeyInput` takes either cloud's). */
export const awsRotateKeyInput = z
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

/** An AWS rotation (the names predate Google Cloud; `RotateKeyInput` is either cloud's). */
export type AwsRotateKeyInput = z.input<typeof awsRotateKeyInput>;
export type AwsRotateKeyRequest = z.output<typeof awsRotateKeyInput>;

export interface AwsKeyRotationState extends RotationStateCommon {
  keyArn: string;
  /** An on-demand rotation KMS has started and not finished. */
  onDemandInProgressSince?: string;
}
