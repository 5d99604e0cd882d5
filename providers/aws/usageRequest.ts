// An AWS usage check: the key by its ARN, OpenAI by the role it assumes; the trail is CloudTrail's.
import { z } from 'zod';
import { keyArnField, refuseOtherAccount, roleArnField } from './arns';
import { refuseBadWindow, usageCheckFields } from '../../common/usage';

const keyArn = keyArnField('ekm usage');
const roleArn = roleArnField;

export const awsUsageInput = z
  .object({ provider: z.literal('aws'), keyArn, roleArn, ...usageCheckFields })
  .strict()
  .superRefine((input, ctx) => {
    refuseBadWindow(input, ctx);
    refuseOtherAccount(input.keyArn, input.roleArn, ctx);
  });
