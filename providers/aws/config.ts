// The `aws` section of the worker's configuration (worker/config.ts): where AWS KMS, IAM and CloudTrail are
// reached and who OpenAI is. Always present (defaults: us-east-1, AWS itself, OpenAI's published role).
import { z } from 'zod';
import { httpUrl } from '../../common/httpUrl';
import type { SandboxEndpoint } from '../sandboxEndpoint';

const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1');

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

/** How the worker signs in to one account; the secrets themselves never sit in the configuration. */
const awsAccountCredentials = z.union(
  [
    z.object({ profile: z.string().min(1, 'must name a profile of ~/.aws/config') }).strict(),
    z
      .object({
        /** Assumed with the worker's own credentials (the default chain), refreshed before it expires. */
        roleToAssume: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/,
            'must be an IAM role ARN, arn:aws:iam::<account>:role/<name>',
          ),
        externalId: z.string().min(1).optional(),
      })
      .strict(),
    z.object({ accessKeyIdEnv: envName, secretAccessKeyEnv: envName }).strict(),
  ],
  {
    message:
      'must be one of { "profile": "<name>" }, { "roleToAssume": "<role ARN>" } or { "accessKeyIdEnv": "<VAR>", "secretAccessKeyEnv": "<VAR>" }',
  },
);

const awsAccountSettings = z
  .object({
    /** The regions its keys may be in; unset: any region a key's ARN names. */
    regions: z.array(awsRegion).min(1, 'must name at least one region, or be left out').optional(),
    /** Unset: the worker's own credentials (the AWS default chain). */
    credentials: awsAccountCredentials.optional(),
    /** Unset: the section's `endpoint` and `cloudTrailEndpoint`. */
    endpoint: httpUrl.optional(),
    cloudTrailEndpoint: httpUrl.optional(),
  })
  .strict();

export type AwsAccountSettings = z.infer<typeof awsAccountSettings>;

export const awsConfigSection = z
  .object({
    region: awsRegion.default('us-east-1'),
    endpoint: httpUrl.optional(),
    /**
     * Where CloudTrail LookupEvents is read (the sandbox: the OpenAI twin, which records the KMS calls it
     * makes for OpenAI). Omit for AWS itself; when only `endpoint` is set, CloudTrail is read there too.
     */
    cloudTrailEndpoint: httpUrl.optional(),
    /** The principal OpenAI uses to assume the customer role (reference/openai-ekm.md). */
    openAiPrincipals: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|root)/, 'must be an IAM principal ARN'))
      .min(1, "must name OpenAI's principal")
      .default(['arn:aws:iam::790389265272:role/EnterpriseKeyManagement']),
    /**
     * Keys in several AWS accounts and regions served by one deployment (providers/aws/accounts.ts): each
     * key's activities use the clients of its ARN's account and region, IAM those of the role's account.
     * Unset: one account, the worker's own credentials and `region`, as before. Set: a key or role in an
     * account not listed here is refused at preflight.
     */
    accounts: z.record(z.string(), awsAccountSettings).optional(),
  })
  .strict()
  .superRefine((section, ctx) => {
    for (const account of Object.keys(section.accounts ?? {}))
      if (!/^\d{12}$/.test(account))
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', account],
          message: 'must be a 12-digit AWS account id, such as "111111111111"',
        });
  })
  .prefault({});

export type AwsConfig = z.infer<typeof awsConfigSection>;

/** The places the section makes the worker reach: KMS and IAM (AWS itself when unset), and CloudTrail. */
export function awsSandboxEndpoints(
  section: Pick<AwsConfig, 'endpoint' | 'cloudTrailEndpoint' | 'accounts'>,
): SandboxEndpoint[] {
  // An account's own endpoints, where set, are places the worker reaches too.
  const perAccount = Object.entries(section.accounts ?? {}).flatMap(([account, settings]) =>
    (['endpoint', 'cloudTrailEndpoint'] as const)
      .filter((field) => settings[field] !== undefined)
      .map((field) => ({
        path: ['aws', 'accounts', account, field],
        url: settings[field],
        example: 'http://127.0.0.1:5000',
      })),
  );
  return [
    ...perAccount,
    {
      path: ['aws', 'endpoint'],
      url: section.endpoint,
      example: 'http://127.0.0.1:5000',
      unset: 'AWS itself',
    },
    {
      path: ['aws', 'cloudTrailEndpoint'],
      url: section.cloudTrailEndpoint,
      example: 'http://127.0.0.1:5099',
    },
  ];
}
