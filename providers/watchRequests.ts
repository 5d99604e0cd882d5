// The deletion watch of every cloud, told apart by `provider`: what `watchKeyDeletion` is given and answers.
import { z } from 'zod';
import { refuseBadWatch, type WatchOutcome } from '../common/watchdog';
import { awsWatchInput, type AwsWatchedKey } from './aws/watchRequest';
import { gcpWatchInput, type GcpWatchedKey } from './gcp/watchRequest';
import { specOf } from '.';

export const watchKeyDeletionInput = z
  .discriminatedUnion('provider', [awsWatchInput, gcpWatchInput], { message: 'must be aws or gcp' })
  .superRefine((input, ctx) => refuseBadWatch(input, specOf(input).trailRetention, ctx));

export type WatchKeyDeletionInput = z.input<typeof watchKeyDeletionInput>;

/** The key watched, in its cloud's spelling. */
export type WatchedKey = AwsWatchedKey | GcpWatchedKey;

export type WatchResult = WatchedKey & WatchOutcome;
