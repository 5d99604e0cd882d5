// The Cloud Audit Logs the fake writes for Cloud KMS, shaped as the real ones are: Admin Activity for
// changes (always on), Data Access for Encrypt/Decrypt (off by default in GCP; on by default here, with a
// per-project switch so "Data Access logging looks disabled" can be rehearsed). Refused calls are logged
// too, with their status, because a refused Decrypt by the vendor is exactly what a revocation should show.
import { randomBytes } from 'node:crypto';
import type { AuditLogPayload } from './auditLogProto';
import { auditLogTypeUrl } from './auditLogProto';
import type { Caller } from './principal';
import type { FakeClock } from './state';

export type AuditLogKind = 'activity' | 'data_access';

export const kmsServiceName = 'cloudkms.googleapis.com';

/** A LogEntry as Cloud Logging shows it in JSON; filters are evaluated against this shape. */
export interface AuditEntry {
  logName: string;
  insertId: string;
  timestamp: string;
  receiveTimestamp: string;
  severity: 'NOTICE' | 'INFO' | 'ERROR';
  resource: { type: string; labels: Record<string, string> };
  protoPayload: AuditLogPayload & { '@type': typeof auditLogTypeUrl };
}

export interface RecordedEntry {
  /** Arrival order, the tie-breaker for entries with the same timestamp. */
  seq: number;
  timeMs: number;
  project: string;
  entry: AuditEntry;
}

export interface AuditEvent {
  kind: AuditLogKind;
  methodName: string;
  resourceName: string;
  caller: Caller;
  status: { code: number; message?: string };
  authorizationInfo: AuditLogPayload['authorizationInfo'];
  request: Record<string, unknown>;
  response?: Record<string, unknown>;
  callerIp?: string;
  userAgent?: string;
}

const logIds: Record<AuditLogKind, string> = {
  activity: 'cloudaudit.googleapis.com%2Factivity',
  data_access: 'cloudaudit.googleapis.com%2Fdata_access',
};

/** The monitored resource Cloud KMS entries are filed under, from the resource name. */
function monitoredResource(
  resourceName: string,
  project: string,
  methodName: string,
): AuditEntry['resource'] {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)(?:\/cryptoKeys\/([^/]+))?/.exec(
    resourceName,
  );
  if (m?.[4]) {
    return {
      type: 'cloudkms_cryptokey',
      labels: { project_id: m[1]!, location: m[2]!, key_ring_id: m[3]!, crypto_key_id: m[4] },
    };
  }
  if (m)
    return { type: 'cloudkms_keyring', labels: { project_id: m[1]!, location: m[2]!, key_ring_id: m[3]! } };
  return {
    type: 'audited_resource',
    labels: { project_id: project, service: kmsServiceName, method: methodName },
  };
}

export class AuditTrail {
  private readonly entries: RecordedEntry[] = [];
  private readonly dataAccessOff = new Set<string>();
  private seq = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly defaultProject: string,
  ) {}

  setDataAccessLogging(enabled: boolean, project = this.defaultProject): void {
    if (enabled) this.dataAccessOff.delete(project);
    else this.dataAccessOff.add(project);
  }

  dataAccessLogging(project = this.defaultProject): boolean {
    return !this.dataAccessOff.has(project);
  }

  record(event: AuditEvent): void {
    const project = /^projects\/([^/]+)/.exec(event.resourceName)?.[1] ?? this.defaultProject;
    // Data Access entries that are switched off are never written, as in GCP: nothing to find later.
    if (event.kind === 'data_access' && !this.dataAccessLogging(project)) return;
    const timeMs = this.clock.now();
    const time = new Date(timeMs).toISOString();
    const failed = event.status.code !== 0;
    const entry: AuditEntry = {
      logName: `projects/${project}/logs/${logIds[event.kind]}`,
      insertId: randomBytes(6).toString('hex'),
      timestamp: time,
      receiveTimestamp: time,
      severity: failed ? 'ERROR' : event.kind === 'activity' ? 'NOTICE' : 'INFO',
      resource: monitoredResource(event.resourceName, project, event.methodName),
      protoPayload: {
        '@type': auditLogTypeUrl,
        serviceName: kmsServiceName,
        methodName: event.methodName,
        resourceName: event.resourceName,
        authenticationInfo: {
          ...(event.caller.principalEmail ? { principalEmail: event.caller.principalEmail } : {}),
          ...(event.caller.principalSubject ? { principalSubject: event.caller.principalSubject } : {}),
        },
        authorizationInfo: event.authorizationInfo,
        requestMetadata: {
          ...(event.callerIp ? { callerIp: event.callerIp } : {}),
          ...(event.userAgent ? { callerSuppliedUserAgent: event.userAgent } : {}),
        },
        request: event.request,
        ...(event.response ? { response: event.response } : {}),
        status: failed ? { code: event.status.code, message: event.status.message ?? '' } : {},
      },
    };
    this.entries.push({ seq: this.seq++, timeMs, project, entry });
  }

  /** Every entry written so far, oldest first. */
  all(): readonly RecordedEntry[] {
    return this.entries;
  }
}
