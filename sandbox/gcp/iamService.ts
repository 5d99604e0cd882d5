// google.iam.v1.IAMPolicy on Cloud KMS key rings and keys, served at the KMS endpoint as Google does (the
// KMS client's getIamPolicy/setIamPolicy/testIamPermissions go there). SetIamPolicy is an Admin Activity
// entry carrying the new bindings, which is the evidence a "remove the vendor's binding" revocation leaves.
import type * as grpc from '@grpc/grpc-js';
import { invalidArgument } from './errors';
import { permissions as P, type Binding, type PolicyRecord } from './iam';
import { cryptoKeyPath, keyRingPath, parseCryptoKey, parseKeyRing } from './names';
import { unary, type FakeDeps } from './rpc';

interface PolicyMessage {
  version?: number;
  bindings?: { role?: string; members?: string[]; condition?: unknown }[];
  auditConfigs?: unknown[];
  etag?: Buffer;
}
interface SetIamPolicyRequest {
  resource?: string;
  policy?: PolicyMessage;
}
interface GetIamPolicyRequest {
  resource?: string;
}
interface TestIamPermissionsRequest {
  resource?: string;
  permissions?: string[];
}

interface PolicyTarget {
  resource: string;
  /** Whose policies grant permissions on it: the resource itself and, for a key, its key ring. */
  policyResources: string[];
  kind: 'keyRing' | 'cryptoKey';
}

/** Key rings and keys carry policies; anything else is not a resource of this service. */
function targetOf(resource: string | undefined): PolicyTarget {
  if (!resource) throw invalidArgument('resource is required');
  if (resource.includes('/cryptoKeys/')) {
    const key = parseCryptoKey(resource, 'resource');
    return { resource, policyResources: [cryptoKeyPath(key), keyRingPath(key)], kind: 'cryptoKey' };
  }
  const ring = parseKeyRing(resource, 'resource');
  return { resource, policyResources: [keyRingPath(ring)], kind: 'keyRing' };
}

const policyView = (p: PolicyRecord) => ({
  version: p.version,
  bindings: p.bindings.map((b) => ({ role: b.role, members: [...b.members] })),
  etag: p.etag,
});

const bindingsForLog = (bindings: PolicyMessage['bindings']) =>
  (bindings ?? []).map((b) => ({ role: b.role ?? '', members: b.members ?? [] }));

export function iamHandlers(deps: FakeDeps): grpc.UntypedServiceImplementation {
  const { store, iam } = deps;

  function mustExist(target: PolicyTarget): void {
    if (target.kind === 'cryptoKey') store.cryptoKey(parseCryptoKey(target.resource));
    else store.keyRing(parseKeyRing(target.resource));
  }

  return {
    GetIamPolicy: unary<GetIamPolicyRequest, unknown>(deps, 'GetIamPolicy', {
      handle(req, ctx) {
        const target = targetOf(req.resource);
        const permission = target.kind === 'cryptoKey' ? P.keysGetIamPolicy : P.keyRingsGetIamPolicy;
        ctx.authorize(permission, target.resource, target.policyResources);
        mustExist(target);
        return policyView(iam.policyOf(target.resource));
      },
    }),

    SetIamPolicy: unary<SetIamPolicyRequest, unknown>(deps, 'SetIamPolicy', {
      audit: {
        kind: 'activity',
        requestType: 'google.iam.v1.SetIamPolicyRequest',
        resourceOf: (r) => r.resource,
        requestOf: (r) => ({
          resource: r.resource,
          policy: { bindings: bindingsForLog(r.policy?.bindings) },
        }),
        responseOf: (p) => ({
          '@type': 'type.googleapis.com/google.iam.v1.Policy',
          bindings: bindingsForLog((p as { bindings: Binding[] }).bindings),
        }),
      },
      handle(req, ctx) {
        const target = targetOf(req.resource);
        const policy = req.policy;
        if (!policy) throw invalidArgument('policy is required');
        if (policy.auditConfigs?.length)
          throw invalidArgument('audit_configs are not supported on Cloud KMS resources');
        const bindings: Binding[] = (policy.bindings ?? []).map((b) => {
          if (b.condition) throw invalidArgument('conditional role bindings are not evaluated by the fake');
          return { role: b.role ?? '', members: b.members ?? [] };
        });
        const permission = target.kind === 'cryptoKey' ? P.keysSetIamPolicy : P.keyRingsSetIamPolicy;
        ctx.authorize(permission, target.resource, target.policyResources);
        mustExist(target);
        return policyView(
          iam.setPolicy(target.resource, { version: policy.version, bindings, etag: policy.etag }),
        );
      },
    }),

    TestIamPermissions: unary<TestIamPermissionsRequest, unknown>(deps, 'TestIamPermissions', {
      // Needs no permission of its own: it answers which of the asked permissions the caller holds.
      handle(req, ctx) {
        const target = targetOf(req.resource);
        const asked = req.permissions ?? [];
        const foreign = asked.find((p) => !p.startsWith('cloudkms.'));
        if (foreign) throw invalidArgument(`Permission ${foreign} is not valid for this resource.`);
        if (iam.isOwner(ctx.caller)) mustExist(target);
        return { permissions: asked.filter((p) => iam.allows(ctx.caller, p, target.policyResources)) };
      },
    }),
  };
}
