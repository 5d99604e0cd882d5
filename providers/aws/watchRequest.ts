// A watch of an AWS key pending deletion: the key by its ARN; the trail is CloudTrail's.
import { z } from 'zod';
import { keyArnField } from './arns';
import { watchFields } from '../../common/watchdog';

export const awsWatchInput = z
  .object({ provider: z.literal('aws'), keyArn: keyArnField('ekm watch'), ...watchFields })
  .strict();

/** The AWS key watched. */
export interface AwsWatchedKey {
  provider: 'aws';
  keyArn: string;
}
