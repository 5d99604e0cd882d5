// Cloud Audit Logs put a google.cloud.audit.AuditLog inside LogEntry.proto_payload, a google.protobuf.Any.
// No installed package ships audit_log.proto, and @google-cloud/logging hands the Any back undecoded
// ({typeUrl, value: bytes}), so the fake describes the part of AuditLog it writes — with the real field
// numbers — to encode entries, and readers decode them with the same description.
import * as protobuf from 'protobufjs';

export const auditLogTypeUrl = 'type.googleapis.com/google.cloud.audit.AuditLog';

/** AuditLog as Cloud Logging shows it in JSON (and as the fake's filters see it). */
export interface AuditLogPayload {
  serviceName: string;
  methodName: string;
  resourceName: string;
  authenticationInfo: { principalEmail?: string; principalSubject?: string };
  authorizationInfo: { resource: string; permission: string; granted: boolean }[];
  requestMetadata: { callerIp?: string; callerSuppliedUserAgent?: string };
  request?: Record<string, unknown>;
  response?: Record<string, unknown>;
  /** `{}` on success (code 0 is not written), `{code, message}` on a refusal. */
  status: { code?: number; message?: string };
}

// Field numbers from google/cloud/audit/audit_log.proto and google/rpc/status.proto.
const descriptor = {
  nested: {
    google: {
      nested: {
        cloud: {
          nested: {
            audit: {
              nested: {
                AuditLog: {
                  fields: {
                    serviceName: { type: 'string', id: 7 },
                    methodName: { type: 'string', id: 8 },
                    resourceName: { type: 'string', id: 11 },
                    numResponseItems: { type: 'int64', id: 12 },
                    status: { type: 'google.rpc.Status', id: 2 },
                    authenticationInfo: { type: 'AuthenticationInfo', id: 3 },
                    authorizationInfo: { rule: 'repeated', type: 'AuthorizationInfo', id: 9 },
                    requestMetadata: { type: 'RequestMetadata', id: 4 },
                    request: { type: 'google.protobuf.Struct', id: 16 },
                    response: { type: 'google.protobuf.Struct', id: 17 },
                  },
                },
                AuthenticationInfo: {
                  fields: {
                    principalEmail: { type: 'string', id: 1 },
                    authoritySelector: { type: 'string', id: 2 },
                    principalSubject: { type: 'string', id: 8 },
                  },
                },
                AuthorizationInfo: {
                  fields: {
                    resource: { type: 'string', id: 1 },
                    permission: { type: 'string', id: 2 },
                    granted: { type: 'bool', id: 3 },
                  },
                },
                RequestMetadata: {
                  fields: {
                    callerIp: { type: 'string', id: 1 },
                    callerSuppliedUserAgent: { type: 'string', id: 2 },
                  },
                },
              },
            },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
          },
        },
      },
    },
  },
};

let auditLogType: protobuf.Type | undefined;

/** google.protobuf.Struct and Any, from the copies protobufjs bundles. */
function wellKnownTypes(): Record<string, protobuf.AnyNestedObject> {
  const types: Record<string, protobuf.AnyNestedObject> = {};
  for (const file of ['google/protobuf/struct.proto', 'google/protobuf/any.proto']) {
    const ns = protobuf.common.get(file) as {
      nested?: { google?: { nested?: { protobuf?: protobuf.INamespace } } };
    };
    const nested = ns?.nested?.google?.nested?.protobuf?.nested;
    if (!nested) throw new Error(`protobufjs lacks ${file}`);
    Object.assign(types, nested);
  }
  return types;
}

function auditLog(): protobuf.Type {
  if (auditLogType) return auditLogType;
  const google = { nested: { ...descriptor.nested.google.nested, protobuf: { nested: wellKnownTypes() } } };
  const root = protobuf.Root.fromJSON({ nested: { google } });
  auditLogType = root.lookupType('google.cloud.audit.AuditLog');
  return auditLogType;
}

type StructValue = { [kind: string]: unknown };

function toValue(value: unknown): StructValue {
  if (value === null || value === undefined) return { nullValue: 0 };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value as Record<string, unknown>) };
}

function toStruct(object: Record<string, unknown>): { fields: Record<string, StructValue> } {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toValue(v)])) };
}

function fromValue(value: StructValue): unknown {
  if ('structValue' in value)
    return fromStruct(value.structValue as { fields?: Record<string, StructValue> });
  if ('listValue' in value)
    return ((value.listValue as { values?: StructValue[] }).values ?? []).map(fromValue);
  for (const kind of ['stringValue', 'numberValue', 'boolValue']) if (kind in value) return value[kind];
  return null;
}

function fromStruct(struct: { fields?: Record<string, StructValue> }): Record<string, unknown> {
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

export function encodeAuditLog(payload: AuditLogPayload): Buffer {
  const type = auditLog();
  const message = type.fromObject({
    ...payload,
    request: payload.request && toStruct(payload.request),
    response: payload.response && toStruct(payload.response),
  });
  return Buffer.from(type.encode(message).finish());
}

/**
 * Reads the AuditLog out of a LogEntry's protoPayload as @google-cloud/logging returns it
 * (`{typeUrl, value}`, value as bytes; `type_url` and base64 also accepted).
 */
export function decodeAuditLog(any: unknown): AuditLogPayload {
  const a = (any ?? {}) as { typeUrl?: string; type_url?: string; value?: Uint8Array | string };
  const typeUrl = a.typeUrl ?? a.type_url;
  if (typeUrl !== auditLogTypeUrl)
    throw new Error(`protoPayload is ${typeUrl ?? 'not an Any'}, not an AuditLog`);
  const bytes = typeof a.value === 'string' ? Buffer.from(a.value, 'base64') : (a.value ?? new Uint8Array());
  const type = auditLog();
  const decoded = type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as Record<
    string,
    unknown
  >;
  return {
    ...(decoded as unknown as AuditLogPayload),
    authenticationInfo: (decoded.authenticationInfo ?? {}) as AuditLogPayload['authenticationInfo'],
    // proto3 does not write false: a refused permission comes back without `granted`.
    authorizationInfo: ((decoded.authorizationInfo ?? []) as AuditLogPayload['authorizationInfo']).map(
      (a) => ({
        ...a,
        granted: a.granted ?? false,
      }),
    ),
    requestMetadata: (decoded.requestMetadata ?? {}) as AuditLogPayload['requestMetadata'],
    status: (decoded.status ?? {}) as AuditLogPayload['status'],
    request: decoded.request
      ? fromStruct(decoded.request as { fields?: Record<string, StructValue> })
      : undefined,
    response: decoded.response
      ? fromStruct(decoded.response as { fields?: Record<string, StructValue> })
      : undefined,
  };
}
