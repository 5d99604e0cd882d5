// Every activity the worker registers, built from the clients the worker's configuration gives.
// Workflows import the *type* of this object only.
import type { AwsClients } from './aws/clients';
import { createAwsKey } from './aws/createKey';
import { describeAwsKey } from './aws/describeKey';
import type { AdminApi } from './openai/adminApi';
import { validateExternalKeyActivity } from './openai/validateExternalKey';

export interface ActivityDeps {
  aws: AwsClients;
  openai: { api: AdminApi; revokedMatchers: string[] };
}

export function createActivities(deps: ActivityDeps) {
  return {
    describeKey: describeAwsKey(deps.aws.kms),
    createKey: createAwsKey(deps.aws.kms),
    validateExternalKey: validateExternalKeyActivity(deps.openai.api, deps.openai.revokedMatchers),
  };
}

export type EkmActivities = ReturnType<typeof createActivities>;
