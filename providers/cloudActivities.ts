// Each cloud's activities, one factory per cloud (providers/<cloud>/activities/index.ts): the worker
// registers every cloud's (activities/index.ts), whatever clouds its configuration names, so one worker
// binary serves every run. Node side only: the factories build clients; workflows import types from here.
import type { WorkerConfig } from '../worker/config';
import { awsActivitiesByAccount, awsClientsOf } from './aws/activities';
import { gcpActivities, gcpClientsOf } from './gcp/activities';
import type { ProviderId } from './provider';

export const cloudActivityFactories = {
  aws: awsActivitiesByAccount,
  gcp: gcpActivities,
} as const satisfies Record<ProviderId, (deps: never) => object>;

type Factory = (typeof cloudActivityFactories)[ProviderId];
type AllOf<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** What every cloud's factory needs, together: the worker's configuration, each cloud's clients, ownership. */
export type CloudActivityDeps = AllOf<Parameters<Factory>[0]>;
/** Every cloud's activities, each under its own name (recorded histories replay by those names). */
export type CloudActivities = AllOf<ReturnType<Factory>>;

export function createCloudActivities(deps: CloudActivityDeps): CloudActivities {
  const factories: ((deps: CloudActivityDeps) => object)[] = Object.values(cloudActivityFactories);
  return Object.assign({}, ...factories.map((make) => make(deps))) as CloudActivities;
}

/** How each cloud's clients are built from the worker's configuration (its own section of it). */
export const cloudClientFactories = {
  aws: awsClientsOf,
  gcp: gcpClientsOf,
} as const satisfies Record<ProviderId, (config: WorkerConfig) => object>;

/** Every cloud's clients, each under its cloud's id (what CloudActivityDeps names them by). */
export type CloudClients = AllOf<ReturnType<(typeof cloudClientFactories)[ProviderId]>>;

export function createCloudClients(config: WorkerConfig): CloudClients {
  const factories: ((config: WorkerConfig) => object)[] = Object.values(cloudClientFactories);
  return Object.assign({}, ...factories.map((make) => make(config))) as CloudClients;
}
