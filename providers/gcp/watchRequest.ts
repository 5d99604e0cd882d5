// A watch of a Google Cloud key whose versions are scheduled for destruction; the trail is Cloud Logging's.
import { z } from 'zod';
import { gcpKeyNameField } from './keyName';
import { watchFields } from '../../common/watchdog';

export const gcpWatchInput = z
  .object({ provider: z.literal('gcp'), keyName: gcpKeyNameField, ...watchFields })
  .strict();

/** The Cloud KMS key watched. */
export interface GcpWatchedKey {
  provider: 'gcp';
  keyName: string;
}
