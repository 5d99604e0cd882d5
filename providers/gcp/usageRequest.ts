// A Google Cloud usage check: the key's name and OpenAI's principal; the trail is Cloud Logging's Data Access log.
import { z } from 'zod';
import { gcpKeyNameField } from './keyName';
import { gcpPrincipalField } from './request';
import { refuseBadWindow, usageCheckFields } from '../../common/usage';

/** Google Cloud: the key's name and OpenAI's principal; the trail is Cloud Logging's Data Access log. */
export const gcpUsageInput = z
  .object({
    provider: z.literal('gcp'),
    keyName: gcpKeyNameField,
    principal: gcpPrincipalField,
    ...usageCheckFields,
  })
  .strict()
  .superRefine(refuseBadWindow);
