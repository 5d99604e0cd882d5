// How a run names a key, and what a run learns about it. Shared by the CLI, workflows and activities.
import { z } from 'zod';

export const providers = ['aws'] as const;
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

export const inspectKeyInput = z.object({
  provider: z.enum(providers, { message: 'must be one of: aws' }),
  key: awsKeyReference,
});
export type InspectKeyInput = z.infer<typeof inspectKeyInput>;

/** What ekm reads about a key before it acts on it. */
export interface KeyDescription {
  provider: Provider;
  /** The canonical id: for AWS the key ARN. */
  keyId: string;
  /** AWS's own key id (the last part of the ARN). */
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
