// A worker without a `gcp` section still registers the GCP activities (one worker binary, one activity
// list), but each refuses at once, naming the missing configuration, instead of reaching Google with
// defaults nobody chose.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { GcpClients } from './clients';

export function whenConfigured<A extends unknown[], R>(
  clients: GcpClients | undefined,
  make: (clients: GcpClients) => (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  if (clients) return make(clients);
  return async () => {
    throw ApplicationFailure.create({
      type: EkmError.WorkerMisconfigured,
      nonRetryable: true,
      message:
        'this worker has no Google Cloud configuration: add a gcp section ({ "projectId": … }) to the file named by EKM_WORKER_CONFIG',
    });
  };
}
