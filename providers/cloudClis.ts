// Each cloud's command-line part (providers/<cloud>/cli.ts), in the order the help lists them: the
// commands find a cloud here by its id or by the key flag given, never by testing its name.
import { UsageError } from '../client/errors';
import { awsCli } from './aws/cli';
import type { CloudCli } from './cloudCli';
import { gcpCli } from './gcp/cli';
import { providerIds, providerSpecs } from '.';
import type { OnProvider, ProviderId } from './provider';

export const cloudClis: Record<ProviderId, CloudCli> = { aws: awsCli, gcp: gcpCli };

/** Every cloud's command-line part, in the registry's order. */
export const everyCloudCli: readonly CloudCli[] = providerIds.map((id) => cloudClis[id]);

/**
 * The cloud a command means when none is named: AWS, the first this project served (so runs started
 * before the provider attribute existed, which carry none, are AWS runs).
 */
export const defaultCloud: ProviderId = 'aws';

/** Whether `id` names a cloud this project serves. */
export function isProviderId(id: string): id is ProviderId {
  return Object.hasOwn(providerSpecs, id);
}

/** The command-line part of the cloud a request, run or report is on. */
export function cliOf(subject: OnProvider): CloudCli {
  return cloudClis[subject.provider];
}

/** The cloud `--provider` names, or a usage error listing the clouds. */
export function cloudNamed(provider: string): CloudCli {
  if (!isProviderId(provider))
    throw new UsageError(`--provider: ${JSON.stringify(provider)} must be ${providerIds.join(' or ')}`);
  return cloudClis[provider];
}
