// The `gcp` section of the worker's configuration (worker/config.ts): the customer project whose audit logs
// are read, and a local stand-in's address. Optional: without it the GCP activities refuse
// (activities/whenConfigured.ts) instead of reaching Google with defaults nobody chose.
import { z } from 'zod';
import type { SandboxEndpoint } from '../sandboxEndpoint';

/** Google Cloud KMS keys: the customer project whose audit logs are read, and a local stand-in's address. */
export const gcpConfigSection = z
  .object({
    projectId: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id (6–30 characters)'),
    /** `host:port` of a local KMS fake (the sandbox's); omit for Google itself. */
    endpoint: z
      .string()
      .regex(
        /^(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/,
        'must be a loopback host:port such as 127.0.0.1:5070',
      )
      .optional(),
  })
  .strict()
  .optional();

export type GcpConfig = z.infer<typeof gcpConfigSection>;

/** The place the section makes the worker reach: Cloud KMS and Logging (Google itself when unset). */
export function gcpSandboxEndpoints(
  section: Pick<NonNullable<GcpConfig>, 'endpoint'> | undefined,
): SandboxEndpoint[] {
  if (!section) return [];
  // Its form is checked to be loopback host:port already; only its absence (Google itself) is left.
  return [
    {
      path: ['gcp', 'endpoint'],
      url: section.endpoint && `http://${section.endpoint}`,
      example: '127.0.0.1:5070',
      unset: 'Google Cloud itself',
    },
  ];
}
