// The clouds this project serves, one entry each. Adding a cloud is adding its folder and a line here
// (CONTRIBUTING.md, "Adding a cloud"); code outside providers/ looks a cloud up here, never tests its name.
import { awsSpec } from './aws/spec';
import { gcpSpec } from './gcp/spec';
import type { OnProvider, ProviderId, ProviderSpec } from './provider';

export const providerSpecs: Record<ProviderId, ProviderSpec> = { aws: awsSpec, gcp: gcpSpec };

export const providerIds = Object.keys(providerSpecs) as ProviderId[];

/** The spec of the cloud a request, run or report is on. */
export function specOf(subject: OnProvider): ProviderSpec {
  return providerSpecs[subject.provider];
}

/** The spec of the cloud a record names by id (a plan action's `cloud`); undefined for an id none has. */
export function specNamed(id: string): ProviderSpec | undefined {
  return Object.hasOwn(providerSpecs, id) ? providerSpecs[id as ProviderId] : undefined;
}
