// Preflight's Google Cloud reads: the key and its primary version, OpenAI's bindings on the key and its
// ring (what a method would remove), OpenAI's registration and every registration on the key.
import type { GcpRevocationBaseline, GcpRevokeKeyRequest } from '../request';
import { call } from '../../../workflows/revoke/call';
import { readExternalKey } from '../../../workflows/revoke/externalKey';

/** A Cloud KMS key: the key and its primary version, OpenAI's bindings on it and its ring, its registrations. */
export async function readGcpBaseline(
  request: GcpRevokeKeyRequest,
): Promise<Omit<GcpRevocationBaseline, 'projects' | 'validate' | 'probes'>> {
  const key = await call('read', 'describeGcpKey', `describe ${request.keyName}`, {
    keyName: request.keyName,
  });
  const access = await call(
    'read',
    'snapshotGcpAccess',
    `read OpenAI's bindings on the key and its ring, the versions and the rotation`,
    { keyName: request.keyName, principal: request.principal },
  );
  const blastRadius = await call(
    'read',
    'readBlastRadius',
    'list every OpenAI registration and project on this key',
    { gcpKeyName: request.keyName },
  );
  // The registration as the blast radius read it carries its GCP fields (the replacement reuses OpenAI's
  // workload identity from it); one the radius did not find is read alone, for preflight to name.
  const registered = blastRadius.externalKeys.find((k) => k.id === request.externalKeyId);
  const externalKey = registered ?? (await readExternalKey(request));
  return {
    provider: 'gcp',
    key: {
      name: key.keyId,
      state: key.state,
      enabled: key.enabled,
      manager: key.manager,
      ...(key.destroyScheduledDurationSeconds !== undefined
        ? { destroyScheduledDurationSeconds: key.destroyScheduledDurationSeconds }
        : {}),
    },
    access,
    externalKey,
    blastRadius,
  };
}
