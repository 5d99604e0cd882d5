// The `aws` section of the worker's configuration (worker/config.ts): where AWS KMS, IAM and CloudTrail are
// reached and who OpenAI is. Always present (defaults: us-east-1, AWS itself, OpenAI's published role).
import { z } from 'zod';
import { httpUrl } from '../../common/httpUrl';
import type { SandboxEndpoint } from '../sandboxEndpoint';

export const awsConfigSection = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')
      .default('us-east-1'),
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
  })
  .strict()
  .prefault({});

export type AwsConfig = z.infer<typeof awsConfigSection>;

/** The places the section makes the worker reach: KMS and IAM (AWS itself when unset), and CloudTrail. */
export function awsSandboxEndpoints(
  section: Pick<AwsConfig, 'endpoint' | 'cloudTrailEndpoint'>,
): SandboxEndpoint[] {
  return [
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
