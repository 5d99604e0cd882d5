// Cloud Audit Logs carry a google.cloud.audit.AuditLog in LogEntry.proto_payload, a protobuf Any, and
// @google-cloud/logging hands that Any back undecoded ({type_url, value: bytes}); no installed package
// ships audit_log.proto. The part the usage count reads is described here with the field numbers of
// google/cloud/audit/audit_log.proto and google/rpc/status.proto, and decoded with the protobufjs that
// google-gax (the Google clients' own runtime) exports. Fields not described are skipped by the decoder.
import { protobuf } from 'google-gax';

export const auditLogTypeUrl = 'type.googleapis.com/google.cloud.audit.AuditLog';

/** The fields of an AuditLog ekm reads. */
export interface AuditLogRecord {
  serviceName: string;
  methodName: string;
  resourceName: string;
  /** principalEmail for users and service accounts, principalSubject for federated principals. */
  principalEmail?: string;
  principalSubject?: string;
  /** 0 (or absent in the message) when the call succeeded. */
  statusCode: number;
  statusMessage?: string;
  authorizationInfo: { resource: string; permission: string; granted: boolean }[];
}

const schema = {
  nested: {
    AuditLog: {
      fields: {
        status: { type: 'Status', id: 2 },
        authenticationInfo: { type: 'AuthenticationInfo', id: 3 },
        serviceName: { type: 'string', id: 7 },
        methodName: { type: 'string', id: 8 },
        authorizationInfo: { rule: 'repeated', type: 'AuthorizationInfo', id: 9 },
        resourceName: { type: 'string', id: 11 },
      },
    },
    AuthenticationInfo: {
      fields: { principalEmail: { type: 'string', id: 1 }, principalSubject: { type: 'string', id: 8 } },
    },
    AuthorizationInfo: {
      fields: {
        resource: { type: 'string', id: 1 },
        permission: { type: 'string', id: 2 },
        granted: { type: 'bool', id: 3 },
      },
    },
    Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
  },
};

let auditLogType: protobuf.Type | undefined;

function auditLog(): protobuf.Type {
  auditLogType ??= protobuf.Root.fromJSON(schema).lookupType('AuditLog');
  return auditLogType;
}

interface Decoded {
  serviceName?: string;
  methodName?: string;
  resourceName?: string;
  authenticationInfo?: { principalEmail?: string; principalSubject?: string };
  status?: { code?: number; message?: string };
  authorizationInfo?: { resource?: string; permission?: string; granted?: boolean }[];
}

/**
 * The AuditLog in an entry's protoPayload (`entry.data` from getEntries: `{type_url|typeUrl, value}`,
 * value as bytes or base64). Anything else is not an audit entry: an Error.
 */
export function decodeAuditLog(any: unknown): AuditLogRecord {
  const a = (any ?? {}) as { typeUrl?: string; type_url?: string; value?: Uint8Array | string };
  const typeUrl = a.typeUrl ?? a.type_url;
  if (typeUrl !== auditLogTypeUrl)
    throw new Error(`protoPayload is ${typeUrl ?? 'not an Any'}, not an AuditLog`);
  const bytes = typeof a.value === 'string' ? Buffer.from(a.value, 'base64') : (a.value ?? new Uint8Array());
  const type = auditLog();
  const d = type.toObject(type.decode(bytes), { defaults: false }) as Decoded;
  const auth = d.authenticationInfo ?? {};
  return {
    serviceName: d.serviceName ?? '',
    methodName: d.methodName ?? '',
    resourceName: d.resourceName ?? '',
    ...(auth.principalEmail ? { principalEmail: auth.principalEmail } : {}),
    ...(auth.principalSubject ? { principalSubject: auth.principalSubject } : {}),
    statusCode: d.status?.code ?? 0,
    ...(d.status?.message ? { statusMessage: d.status.message } : {}),
    // proto3 does not write false: a refused permission arrives without `granted`.
    authorizationInfo: (d.authorizationInfo ?? []).map((i) => ({
      resource: i.resource ?? '',
      permission: i.permission ?? '',
      granted: i.granted ?? false,
    })),
  };
}

/** Whether the entry's caller is this IAM member, as Cloud Audit Logs name callers. */
export function callerIs(record: AuditLogRecord, member: string): boolean {
  const email = /^(?:user|serviceAccount):(.+)$/.exec(member)?.[1];
  if (email) return record.principalEmail?.toLowerCase() === email.toLowerCase();
  return record.principalSubject === member;
}

/** The caller as an IAM member, for samples. */
export function callerOf(record: AuditLogRecord): string | undefined {
  if (record.principalSubject) return record.principalSubject;
  if (!record.principalEmail) return undefined;
  return record.principalEmail.endsWith('.gserviceaccount.com')
    ? `serviceAccount:${record.principalEmail}`
    : `user:${record.principalEmail}`;
}

/** gRPC status names, as Cloud Logging shows them beside the number. */
const codeNames = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

export function statusName(code: number): string {
  return codeNames[code] ?? `CODE_${code}`;
}
