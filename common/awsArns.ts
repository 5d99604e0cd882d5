// The two AWS names every run that touches a key is given, checked one way everywhere.
import { z } from 'zod';

/** A key ARN (never an alias or a bare id: the CLI command named here resolves those first). */
export const keyArnField = (resolvedBy: string) =>
  z
    .string()
    .trim()
    .regex(
      /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
      `must be the key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); \`${resolvedBy}\` resolves an alias or a key id to it for you`,
    );

/** The customer role OpenAI assumes. */
export const roleArnField = z
  .string()
  .trim()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
    'must be the IAM role ARN OpenAI assumes (arn:aws:iam::ACCOUNT:role/NAME)',
  );
