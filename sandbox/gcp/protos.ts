// The fake speaks the real wire protocol, so its service definitions come from the very protos the real
// clients are generated from (shipped inside the installed npm packages), never from a copy of ours.
// Include directories are found through require.resolve so a fresh checkout works wherever it lives.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** `<package>/build/protos`, located from the package's entry point (its `main` is under build/src). */
function protosDirOf(packageName: string): string {
  const entry = require.resolve(packageName);
  const marker = `${path.sep}build${path.sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot find the protos of ${packageName} (entry point ${entry})`);
  return path.join(entry.slice(0, at), 'build', 'protos');
}

export function protoIncludeDirs(): string[] {
  return [
    protosDirOf('@google-cloud/kms'),
    protosDirOf('@google-cloud/logging-api'),
    // google/iam, google/rpc, google/type, google/api and the well-known types.
    protosDirOf('google-gax'),
  ];
}

/**
 * How requests reach the handlers: camelCase fields (as the Node clients write them), enums by name,
 * 64-bit numbers as strings, and no defaults, so an unset field is `undefined` rather than `""`/`0`/null.
 */
const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

export interface FakeServices {
  keyManagement: grpc.ServiceDefinition;
  iamPolicy: grpc.ServiceDefinition;
  logging: grpc.ServiceDefinition;
}

function serviceAt(root: grpc.GrpcObject, dotted: string): grpc.ServiceDefinition {
  let node: unknown = root;
  for (const part of dotted.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  const service = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (!service) throw new Error(`service ${dotted} not found in the loaded protos`);
  return service;
}

let loaded: FakeServices | undefined;

export function loadFakeServices(): FakeServices {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(
    [
      'google/cloud/kms/v1/service.proto',
      'google/iam/v1/iam_policy.proto',
      'google/logging/v2/logging.proto',
    ],
    { ...loaderOptions, includeDirs: protoIncludeDirs() },
  );
  const root = grpc.loadPackageDefinition(definition);
  loaded = {
    keyManagement: serviceAt(root, 'google.cloud.kms.v1.KeyManagementService'),
    iamPolicy: serviceAt(root, 'google.iam.v1.IAMPolicy'),
    logging: serviceAt(root, 'google.logging.v2.LoggingServiceV2'),
  };
  return loaded;
}
