// The two AWS names every run that touches an AWS key is given (the key's ARN, the role OpenAI assumes),
// checked one way everywhere.
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

/**
 * OpenAI assumes a role in the key's own account: a key and a role in different accounts are a mistake in
 * the request. Only two well-formed ARNs are compared (a malformed one already has its own message).
 */
export function refuseOtherAccount(
  keyArn: string,
  roleArn: string,
  ctx: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void },
): void {
  const keyAccount = keyArn.split(':')[4] ?? '';
  const roleAccount = roleArn.split(':')[4] ?? '';
  const account = /^\d{12}$/;
  if (account.test(keyAccount) && account.test(roleAccount) && keyAccount !== roleAccount)
    ctx.addIssue({
      code: 'custom',
      path: ['roleArn'],
      message: `is in account ${roleAccount} but the key is in account ${keyAccount}: give the role OpenAI assumes in the key's account`,
    });
}
