// What every served call goes through: time catches up first (destructions, rotations), the caller is
// identified, permissions are checked and noted, refusals become gRPC statuses, and the call is written
// to the audit log with its outcome — refused calls included, as Cloud Audit Logs record them.
import type * as grpc from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { AuditLogKind, AuditTrail } from './auditLog';
import type { AuditLogPayload } from './auditLogProto';
import { asFakeGcpError, permissionDenied } from './errors';
import type { IamPolicies } from './iam';
import { callerOf, type Caller } from './principal';
import type { KmsStore } from './state';

export interface FakeDeps {
  store: KmsStore;
  iam: IamPolicies;
  trail: AuditTrail;
  /** The member a call without a principal header acts as. */
  ownerMember: string;
  /**
   * The sandbox's quota layer (sandbox/quota/): counts every call and answers RESOURCE_EXHAUSTED past the
   * method's quota, before anything else happens — as Google refuses a call over quota, unlogged.
   */
  admit?(methodName: string): { refused: false } | { refused: true; message: string };
}

export interface CallContext {
  caller: Caller;
  /**
   * PERMISSION_DENIED unless the caller holds `permission` on `resource` through the policies of
   * `policyResources` (the resource and its ancestors); noted for the audit entry either way.
   */
  authorize(permission: string, resource: string, policyResources: readonly string[]): void;
}

export interface Audited<Req, Res> {
  kind: AuditLogKind;
  /** The @type Cloud Audit Logs give the logged request, e.g. google.cloud.kms.v1.DecryptRequest. */
  requestType: string;
  resourceOf(req: Req): string | undefined;
  /** What of the request is logged: names and settings, never plaintext, ciphertext or key material. */
  requestOf?(req: Req): Record<string, unknown>;
  responseOf?(res: Res): Record<string, unknown>;
}

export interface MethodSpec<Req, Res> {
  audit?: Audited<Req, Res>;
  handle(req: Req, ctx: CallContext): Res;
}

function callerIp(peer: string): string {
  // grpc-js peers read like "ipv4:127.0.0.1:53012", "127.0.0.1:53012" or "[::1]:53012".
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\]/.exec(bare);
  return bracketed ? bracketed[1]! : bare.replace(/:\d+$/, '');
}

/** Wraps a method as a grpc-js unary handler; `methodName` is the short name KMS audit entries use. */
export function unary<Req, Res>(
  deps: FakeDeps,
  methodName: string,
  spec: MethodSpec<Req, Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const admission = deps.admit?.(methodName);
    if (admission?.refused) {
      callback({ code: grpcStatus.RESOURCE_EXHAUSTED, details: admission.message });
      return;
    }
    let caller: Caller;
    try {
      deps.store.catchUp();
      caller = callerOf(call.metadata, deps.ownerMember);
    } catch (err) {
      const e = asFakeGcpError(err);
      callback({ code: e.code, details: e.message });
      return;
    }
    const authorizationInfo: AuditLogPayload['authorizationInfo'] = [];
    const ctx: CallContext = {
      caller,
      authorize(permission, resource, policyResources) {
        const granted = deps.iam.allows(caller, permission, policyResources);
        authorizationInfo.push({ resource, permission, granted });
        if (!granted) {
          throw permissionDenied(
            `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
          );
        }
      },
    };
    let outcome: { code: number; message?: string } = { code: grpcStatus.OK };
    let result: Res | undefined;
    try {
      result = spec.handle(call.request, ctx);
    } catch (err) {
      const e = asFakeGcpError(err);
      outcome = { code: e.code, message: e.message };
    }
    try {
      if (spec.audit) writeAudit(spec.audit);
    } catch (err) {
      // A failure to log must not leave the caller waiting: it is the fake's bug, said as INTERNAL.
      const e = asFakeGcpError(err);
      outcome = { code: e.code, message: e.message };
    }
    if (outcome.code !== grpcStatus.OK) callback({ code: outcome.code, details: outcome.message });
    else callback(null, result);

    function writeAudit(audit: Audited<Req, Res>): void {
      const userAgent = call.metadata.get('user-agent')[0];
      deps.trail.record({
        kind: audit.kind,
        methodName,
        resourceName: audit.resourceOf(call.request) ?? '',
        caller,
        status: outcome,
        authorizationInfo,
        request: { '@type': `type.googleapis.com/${audit.requestType}`, ...audit.requestOf?.(call.request) },
        response: result !== undefined ? audit.responseOf?.(result) : undefined,
        callerIp: callerIp(call.getPeer()),
        userAgent: userAgent === undefined ? undefined : String(userAgent),
      });
    }
  };
}
