// What a run learns about a key, and how a request's mistakes are told. Shared by the CLI, workflows and
// activities; how each cloud names a key is the cloud's (providers/<cloud>/).
import type { z } from 'zod';

/** What ekm reads about a key before it acts on it. */
export interface KeyDescription {
  /** The cloud's id (providers/index.ts). */
  provider: string;
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
