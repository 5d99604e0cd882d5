// What `inspectKey` is given: a key of any cloud, named as that cloud names keys.
import { z } from 'zod';
import { awsKeyReference } from './aws/keyReference';
import { gcpKeyNameField } from './gcp/keyName';
import { providerIds } from '.';

export const inspectKeyInput = z.discriminatedUnion(
  'provider',
  [
    z.object({ provider: z.literal('aws'), key: awsKeyReference }),
    z.object({ provider: z.literal('gcp'), key: gcpKeyNameField }),
  ],
  { message: `must be one of: ${providerIds.join(', ')}` },
);
export type InspectKeyInput = z.infer<typeof inspectKeyInput>;
