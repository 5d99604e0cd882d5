// Every AWS activity the worker registers, built from the AWS clients and the worker's configuration. Each
// change behind a gate verifies the gate's approvals itself before it acts (activities/requireApproval.ts).
import { actionOf } from '../../../activities/approvedActions';
import type { Ownership } from '../../../activities/ownership';
import { requireApproval } from '../../../activities/requireApproval';
import { boundToItsWatch } from '../../../activities/watchdogCancel';
import type { WorkerConfig } from '../../../worker/config';
import { quotasOf } from '../../../worker/quotas';
import { processQuotaLimiter } from '../../../activities/quotas/limiters';
import type { KMSClient } from '@aws-sdk/client-kms';
import { AwsAccountClients, placeOfInput, routedByAccount } from './accountClients';
import { createAwsClients, type AwsClients } from './clients';
import { describeAwsKey } from './describeKey';
import { cancelAwsKeyDeletion, scheduleAwsKeyDeletion } from './keyDeletion';
import { readAwsKeyRotation, rotateAwsKeyActivity } from './keyRotation';
import { readAwsKeyUsage } from './keyUsage';
import { createReplacementKeyOnce, findReplacementKey, grantOpenAiAccess } from './replacementKey';
import { restoreAwsAccessActivity } from './restoreAccess';
import { revokeAwsAccessActivity } from './revokeAccess';
import { snapshotAwsAccessActivity } from './snapshotAccess';

export interface AwsActivityDeps {
  config: WorkerConfig;
  aws: AwsClients;
  /** Marks what the worker creates and recognises it again (activities/ownership.ts). */
  ownership: Ownership;
}

/** The clients of the configuration's `aws` section; credentials come from the worker's environment. */
export function awsClientsOf(config: WorkerConfig): Pick<AwsActivityDeps, 'aws'> {
  return { aws: createAwsClients(config.aws, processQuotaLimiter(quotasOf(config))) };
}

export function awsActivities({ config, aws, ownership }: AwsActivityDeps) {
  const vendor = { vendorPrincipals: config.aws.openAiPrincipals, ownership };
  return {
    // AWS KMS and IAM
    describeKey: describeAwsKey(aws.kms),
    snapshotAwsAccess: snapshotAwsAccessActivity(aws),
    revokeAwsAccess: requireApproval(
      'revoke',
      config,
      actionOf.revokeAwsAccess,
      revokeAwsAccessActivity(aws, vendor),
    ),
    restoreAwsAccess: requireApproval(
      'restore',
      config,
      actionOf.restoreAwsAccess,
      restoreAwsAccessActivity(aws, vendor),
    ),
    createReplacementKeyOnce: requireApproval(
      'archive',
      config,
      actionOf.createReplacementKeyOnce,
      createReplacementKeyOnce(aws, ownership),
    ),
    findReplacementKey: findReplacementKey(aws, ownership),
    grantOpenAiAccess: requireApproval(
      'archive',
      config,
      actionOf.grantOpenAiAccessOn(aws.kms),
      grantOpenAiAccess(aws, vendor),
    ),
    scheduleAwsKeyDeletion: requireApproval(
      'deletion',
      config,
      actionOf.scheduleAwsKeyDeletion,
      scheduleAwsKeyDeletion(aws),
    ),
    // The watchdog's automatic cancel: bound to the key's own watch, enabled by the configuration.
    cancelAwsKeyDeletion: boundToItsWatch(
      config,
      (i: { keyArn: string }) => i.keyArn,
      cancelAwsKeyDeletion(aws),
    ),
    readAwsKeyRotation: readAwsKeyRotation(aws),
    rotateAwsKey: requireApproval('rotate', config, actionOf.rotateAwsKey, rotateAwsKeyActivity(aws)),
    // AWS CloudTrail
    readAwsKeyUsage: readAwsKeyUsage(aws, { maxPages: config.usage.cloudTrailMaxPages }),
  };
}

/**
 * One router per configuration: the activities and the registration's check (kmsOfKey) share its clients.
 * A WeakMap, so a worker's configuration and its clients go together.
 */
const routers = new WeakMap<WorkerConfig, AwsAccountClients>();

function routerOf(config: WorkerConfig): AwsAccountClients | undefined {
  if (!config.aws.accounts) return undefined;
  let router = routers.get(config);
  if (!router) {
    const quotas = quotasOf(config);
    router = new AwsAccountClients(config.aws, (accountRegion) => processQuotaLimiter(quotas, accountRegion));
    routers.set(config, router);
  }
  return router;
}

/** Every AWS activity; with aws.accounts configured, each call uses its key's account and region. */
export function awsActivitiesByAccount(deps: AwsActivityDeps): ReturnType<typeof awsActivities> {
  const ownAccount = awsActivities(deps);
  const router = routerOf(deps.config);
  if (!router) return ownAccount;
  return routedByAccount(router, ownAccount, (aws) => awsActivities({ ...deps, aws }));
}

/**
 * The KMS client that reads a key by its ARN: with aws.accounts, its account's and region's (a replacement
 * lives beside the key it replaces); else the worker's own. For checks outside the AWS activities (the
 * registration's: OpenAI is pointed only at the run's own new key).
 */
export function awsKmsOfKey(config: WorkerConfig, aws: AwsClients): (keyArn: string) => KMSClient {
  const router = routerOf(config);
  return (keyArn) => {
    const place = router && placeOfInput(keyArn);
    return place ? router.clientsFor(place).kms : aws.kms;
  };
}
