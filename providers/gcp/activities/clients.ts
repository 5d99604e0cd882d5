// The Google Cloud clients the GCP activities use. Against Google itself they find credentials the usual
// way (Application Default Credentials); against the sandbox's fake they take an explicit loopback
// endpoint with insecure channel credentials, which also means no token is ever fetched.
import * as grpc from '@grpc/grpc-js';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { Logging } from '@google-cloud/logging';
import type { QuotaLimiter } from '../../../activities/quotas/limiters';
import { cloudKmsWrites, limitMethods } from './quotaLimits';

export interface GcpSettings {
  /** The customer project whose audit logs are read. */
  projectId: string;
  /** `host:port` of a local stand-in (the sandbox's fake); omit for Google itself. */
  endpoint?: string;
}

export interface GcpClients {
  kms: KeyManagementServiceClient;
  logging: Logging;
  projectId: string;
}

/** With a limiter, Cloud KMS writes and Cloud Logging reads go through their buckets (worker/quotas.ts). */
export function createGcpClients(settings: GcpSettings, limiter?: QuotaLimiter): GcpClients {
  type Options = ConstructorParameters<typeof KeyManagementServiceClient>[0] & object;
  let options: Options = { projectId: settings.projectId };
  if (settings.endpoint) {
    const [host, port] = settings.endpoint.split(':');
    // A local endpoint never reaches Google: no metadata-server probe, no token.
    process.env.METADATA_SERVER_DETECTION = 'none';
    options = {
      ...options,
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    };
  }
  const kms = new KeyManagementServiceClient(options);
  const logging = new Logging(options as ConstructorParameters<typeof Logging>[0]);
  if (limiter) {
    limitMethods(kms, cloudKmsWrites, 'cloudKmsWrites', limiter);
    limitMethods(logging, ['getEntries'], 'cloudLoggingReads', limiter);
  }
  return { kms, logging, projectId: settings.projectId };
}
