// A local Google Cloud KMS that enforces: one gRPC server on loopback serving KeyManagementService,
// IAMPolicy (at the same endpoint, as Google does) and Cloud Logging's ListLogEntries for the audit
// entries it writes. The real @google-cloud/kms and @google-cloud/logging clients talk to it unchanged.
// Tests and the sandbox drive time and settings through the plain functions on the returned object.
import * as grpc from '@grpc/grpc-js';
import { AuditTrail, type AuditEntry } from './auditLog';
import { IamPolicies } from './iam';
import { iamHandlers } from './iamService';
import { kmsHandlers } from './kmsService';
import { loggingHandlers } from './loggingService';
import { callerFromMember, principalHeader } from './principal';
import { loadFakeServices } from './protos';
import type { FakeDeps } from './rpc';
import { FakeClock, KmsStore, type AutomaticRotation } from './state';
import type { QuotaBook } from '../quota/quotaBook';
import { gcpAdmission } from '../quota/gcpQuota';

export { principalHeader } from './principal';
export { decodeAuditLog, type AuditLogPayload } from './auditLogProto';
export type { AuditEntry } from './auditLog';

export interface GcpKmsFakeOptions {
  host?: string;
  /** 0 (the default) lets the system choose a free port. */
  port?: number;
  /** The project audit entries default to, and whose Data Access switch the control surface flips. */
  projectId?: string;
  /** Who a call without a principal header is; an owner holds every permission. */
  ownerMember?: string;
  /** More members that hold every permission everywhere (project owners). */
  owners?: string[];
  /** Data Access audit logging at start (GCP's default is off; the fake's is on). */
  dataAccessLogging?: boolean;
  /** The sandbox's quota layer: counts calls, and refuses them past Cloud KMS's and Cloud Logging's quotas. */
  quota?: QuotaBook;
}

export interface GcpKmsFake {
  /** host:port, for clients' apiEndpoint + port. */
  address: string;
  host: string;
  port: number;
  projectId: string;
  /** The metadata header that names the calling principal. */
  principalHeader: string;
  /** The fake's idea of now (the real clock plus the offset). */
  now(): Date;
  /** Moves the fake's clock forward; destructions and due rotations happen on the next call. */
  advance(seconds: number): void;
  setClockOffset(seconds: number): void;
  setDataAccessLogging(enabled: boolean, projectId?: string): void;
  dataAccessLogging(projectId?: string): boolean;
  /** Every audit entry written so far (JSON shape, as Cloud Logging shows it), oldest first. */
  auditEntries(): AuditEntry[];
  /** Versions the fake created by itself on automatic rotation. */
  automaticRotations(): AutomaticRotation[];
  /** An IAM custom role, e.g. projects/P/roles/ekmAccess with the two use permissions. */
  defineCustomRole(name: string, permissions: string[]): void;
  close(): Promise<void>;
}

export async function startGcpKmsFake(options: GcpKmsFakeOptions = {}): Promise<GcpKmsFake> {
  const host = options.host ?? '127.0.0.1';
  const projectId = options.projectId ?? 'ekm-sandbox';
  const ownerMember = options.ownerMember ?? 'user:owner@example.com';
  // Checked now, so a bad option fails the start rather than every call.
  callerFromMember(ownerMember);
  const clock = new FakeClock();
  const trail = new AuditTrail(clock, projectId);
  trail.setDataAccessLogging(options.dataAccessLogging ?? true);
  const deps: FakeDeps = {
    store: new KmsStore(clock),
    iam: new IamPolicies(new Set([ownerMember, ...(options.owners ?? [])])),
    trail,
    ownerMember,
    admit: options.quota ? gcpAdmission(options.quota, projectId) : undefined,
  };

  const services = loadFakeServices();
  const server = new grpc.Server();
  server.addService(services.keyManagement, kmsHandlers(deps));
  server.addService(services.iamPolicy, iamHandlers(deps));
  server.addService(services.logging, loggingHandlers(deps));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );

  return {
    address: `${host}:${port}`,
    host,
    port,
    projectId,
    principalHeader,
    now: () => new Date(clock.now()),
    advance: (seconds) => clock.advance(seconds),
    setClockOffset: (seconds) => clock.setOffset(seconds),
    setDataAccessLogging: (enabled, project) => trail.setDataAccessLogging(enabled, project),
    dataAccessLogging: (project) => trail.dataAccessLogging(project),
    auditEntries: () => trail.all().map((r) => r.entry),
    automaticRotations: () => {
      deps.store.catchUp();
      return [...deps.store.automaticRotations];
    },
    defineCustomRole: (name, permissions) => deps.iam.defineCustomRole(name, permissions),
    close: () =>
      new Promise<void>((resolve) => {
        // Clients may keep channels open; do not let them hold the shutdown up.
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
