// How a person may name an AWS KMS key before it is resolved to its ARN (`ekm key inspect`).
import { z } from 'zod';

/** An AWS KMS key reference: a key ARN, an alias ARN, an alias name, or a bare key id. */
export const awsKeyReference = z
  .string()
  .trim()
  .min(1, 'is empty: give a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias (alias/NAME) or a key id')
  .max(2048, 'is longer than any AWS KMS key reference')
  .regex(
    /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
    'is not an AWS KMS key reference: give a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias (alias/NAME) or a key id',
  );
