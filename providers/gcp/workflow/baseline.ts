// Preflight's Google Cloud reads: the key and its primary version, OpenAI's bindings on the key and its
// ring (what a method would remove), OpenAI's registration and every registration on the key.
import type { GcpKeyDescription } from '../../../activities';
import type { BlastRadius, ExternalKeyView } from '../../../common/openaiViews';
import type { GcpAccessSnapshot, GcpRevocationBaseline, GcpRevokeKeyRequest } from '../request';
import type { BaselineReads } from '../../operations';
import { call } from '../../../workflows/revoke/call';
import { readExternalKey } from '../../../workflows/revoke/externalKey';
import { read } from '../../../workflows/revoke/together';

type GcpCloudBaseline = Omit<GcpRevocationBaseline, 'projects' | 'validate' | 'probes'>;

function gcpBaselineOf(
  key: GcpKeyDescription,
  access: GcpAccessSnapshot,
  externalKey: ExternalKeyView | undefined,
  blastRadius: BlastRadius,
): GcpCloudBaseline {
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

/** A Cloud KMS key: the key and its primary version, OpenAI's bindings on it and its ring, its registrations. */
export async function readGcpBaseline(request: GcpRevokeKeyRequest): Promise<GcpCloudBaseline> {
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
  return gcpBaselineOf(key, access, externalKey, blastRadius);
}

/**
 * The same reads, to be made at once (workflows/revoke/together.ts): the registration is read beside the
 * blast radius, and the radius's own copy (with its GCP fields) preferred, as above.
 */
export function gcpBaselineReads(request: GcpRevokeKeyRequest): BaselineReads {
  const reads = [
    read('describeGcpKey', { keyName: request.keyName }),
    read('snapshotGcpAccess', { keyName: request.keyName, principal: request.principal }),
    read('readBlastRadius', { gcpKeyName: request.keyName }),
    ...(request.externalKeyId ? [read('readExternalKey', request.externalKeyId)] : []),
  ];
  return {
    reads,
    assemble: (answers) => {
      const [key, access, blastRadius, alone] = answers as [
        GcpKeyDescription,
        GcpAccessSnapshot,
        BlastRadius,
        ExternalKeyView | undefined,
      ];
      const registered = blastRadius.externalKeys.find((k) => k.id === request.externalKeyId);
      return gcpBaselineOf(key, access, registered ?? alone, blastRadius);
    },
  };
}
