// Each cloud's section of the worker's configuration (providers/<cloud>/config.ts), under the key the file
// names it by: worker/config.ts puts them all in its schema, worker/sandboxLoopback.ts checks their places.
import type { z } from 'zod';
import { awsConfigSection, awsSandboxEndpoints } from './aws/config';
import { gcpConfigSection, gcpSandboxEndpoints } from './gcp/config';
import { providerIds } from '.';
import type { ProviderId } from './provider';
import type { SandboxEndpoint } from './sandboxEndpoint';

export const cloudConfigSections = {
  aws: awsConfigSection,
  gcp: gcpConfigSection,
} as const satisfies Record<ProviderId, z.ZodType>;

/** Each cloud's section as the worker reads it (defaults filled in; an optional section may be absent). */
export type CloudConfigs = z.infer<z.ZodObject<typeof cloudConfigSections>>;

const sandboxEndpointsOf: { [Id in ProviderId]-?: (section: CloudConfigs[Id]) => SandboxEndpoint[] } = {
  aws: awsSandboxEndpoints,
  gcp: gcpSandboxEndpoints,
};

/**
 * The places each cloud's section makes the worker reach, in two groups: the clouds whose section has
 * defaults (the worker reaches them whatever its file says), then the clouds it reaches only when named.
 */
export function cloudSandboxEndpoints(configs: CloudConfigs): {
  byDefault: SandboxEndpoint[];
  whenNamed: SandboxEndpoint[];
} {
  const reachedByDefault = (id: ProviderId) =>
    cloudConfigSections[id].safeParse(undefined).data !== undefined;
  const endpointsOf = (id: ProviderId) =>
    (sandboxEndpointsOf[id] as (section: CloudConfigs[ProviderId]) => SandboxEndpoint[])(configs[id]);
  return {
    byDefault: providerIds.filter(reachedByDefault).flatMap(endpointsOf),
    whenNamed: providerIds.filter((id) => !reachedByDefault(id)).flatMap(endpointsOf),
  };
}
