// How a run names a key, and what a run learns about it. Shared by the CLI, workflows and activities.
import { z } from 'zod';

export const providers = ['aws', 'gcp'] as const;
export type Provider = (typeof providers)[number];

/** An AWS KMS key reference: a key ARN, an alias ARN, an alias name, or a bare key id. */
const awsKeyReference = z
  .string()
  .trim()
  .min(1, 'is empty: give a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias (alias/NAME) or a key id')
  .max(2048, 'is longer than any AWS KMS key reference')
  .regex(
    /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
    'is not an AWS KMS key reference: give a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias (alias/NAME) or a key id',
  );

/** A Cloud KMS key's resource name: the only way Google Cloud names a key (there are no aliases). */
export const gcpKeyNameField = z
  .string()
  .trim()
  .regex(
    // Project ids may be domain-scoped (example.com:project), hence the dots and colons.
    /^projects\/[a-z][a-z0-9.:-]{0,62}\/locations\/[a-z][a-z0-9-]{0,62}\/keyRings\/[A-Za-z0-9_-]{1,63}\/cryptoKeys\/[A-Za-z0-9_-]{1,63}$/,
    'is not a Cloud KMS key name: give projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY',
  );

export const inspectKeyInput = z.discriminatedUnion(
  'provider',
  [
    z.object({ provider: z.literal('aws'), key: awsKeyReference }),
    z.object({ provider: z.literal('gcp'), key: gcpKeyNameField }),
  ],
  { message: `must be one of: ${providers.join(', ')}` },
);
export type InspectKeyInput = z.infer<typeof inspectKeyInput>;

/** What ekm reads about a key before it acts on it. */
export interface KeyDescription {
  provider: Provider;
  /** The canonical id: for AWS the key ARN, for Google Cloud the key's resource name. */
  keyId: string;
  /** The last part of the id (AWS's key id, the Cloud KMS key's own name). */
  shortId: string;
  /** Enabled, Disabled, PendingDeletion, … as the cloud reports it. */
  state: string;
  enabled: boolean;
  /** CUSTOMER or AWS: OpenAI EKM needs a customer-managed key. */
  manager: string;
  keySpec: string;
  usage: string;
  description: string;
  createdAt?: string;
  deletionDate?: string;
}

/** Turns a zod failure into one sentence per field, naming the field and the fix. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => `${prefix}${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
}
