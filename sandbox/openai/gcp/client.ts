// The real @google-cloud/kms client, pointed at the sandbox's Cloud KMS fake: plain gRPC on loopback with
// insecure channel credentials, so no token is fetched and nothing looks for Google's metadata server.
import * as grpc from '@grpc/grpc-js';
import { KeyManagementServiceClient } from '@google-cloud/kms';

/** `endpoint` is the fake's host:port. */
export function kmsClientForFake(endpoint: string): KeyManagementServiceClient {
  const at = endpoint.lastIndexOf(':');
  const port = Number(endpoint.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0)
    throw new Error(`the Cloud KMS endpoint '${endpoint}' is not host:port`);
  // google-auth-library would otherwise probe 169.254.169.254 when it looks for credentials.
  process.env.METADATA_SERVER_DETECTION = 'none';
  return new KeyManagementServiceClient({
    apiEndpoint: endpoint.slice(0, at),
    port,
    sslCreds: grpc.credentials.createInsecure(),
    // Given here, the universe-domain check never asks google-auth-library for a client.
    universeDomain: 'googleapis.com',
  });
}
