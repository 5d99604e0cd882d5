// Preflight's AWS reads: the key, the role's trust and policies with the key policy and grants (what a
// method would remove), OpenAI's registration and every registration on the key or the role.
import { patched } from '@temporalio/workflow';
import type { BlastRadius, ExternalKeyView } from '../../../common/openaiViews';
import type { KeyDescription } from '../../../common/keys';
import type { AwsAccessSnapshot, AwsRevocationBaseline, AwsRevokeKeyRequest } from '../request';
import type { BaselineReads } from '../../operations';
import { call } from '../../../workflows/revoke/call';
import { readExternalKey } from '../../../workflows/revoke/externalKey';
import { read } from '../../../workflows/revoke/together';

type AwsCloudBaseline = Omit<AwsRevocationBaseline, 'projects' | 'validate' | 'probes'>;

function awsBaselineOf(
  key: KeyDescription,
  access: AwsAccessSnapshot,
  externalKey: ExternalKeyView | undefined,
  blastRadius: BlastRadius,
): AwsCloudBaseline {
  return {
    key: { arn: key.keyId, state: key.state, enabled: key.enabled, manager: key.manager },
    access,
    externalKey,
    blastRadius,
  };
}

/** One after the other, as runs from before `cheaper-runs` read them. */
export async function readAwsBaseline(request: AwsRevokeKeyRequest): Promise<AwsCloudBaseline> {
  const key = await call('read', 'describeKey', `describe ${request.keyArn}`, request.keyArn);
  const access = await call(
    'read',
    'snapshotAwsAccess',
    `read the role's trust and policies, the key policy and grants`,
    { keyArn: request.keyArn, roleArn: request.roleArn },
  );
  const externalKey = await readExternalKey(request);
  // Who else loses access: every registration of the key; those of other keys through the role only when
  // the method cuts the whole role (remove-trust), or when the role's policies name keys by a wildcard,
  // which remove-key-permission would narrow for every key it matches.
  const roleWide = cutsTheWholeRole(request, access);
  const blastRadius = await call(
    'read',
    'readBlastRadius',
    `list every OpenAI registration and project on this key${roleWide ? ' or role' : ''}`,
    { kmsArn: request.keyArn, ...(roleWide ? { roleArn: request.roleArn } : {}) },
  );
  return awsBaselineOf(key, access, externalKey, blastRadius);
}

function cutsTheWholeRole(request: AwsRevokeKeyRequest, access: AwsAccessSnapshot): boolean {
  return (
    request.method === 'remove-trust' ||
    (request.method === 'remove-key-permission' &&
      access.otherKeysTheRoleCanUse.some((k) => k.includes('*') || k.includes('?')))
  );
}

/**
 * Read at once, the blast radius names the role's every registration before the method's reach is known;
 * a method that leaves the role's other keys alone keeps only this key's registrations and their projects.
 */
function withinReach(
  request: AwsRevokeKeyRequest,
  access: AwsAccessSnapshot,
  radius: BlastRadius,
): BlastRadius {
  if (cutsTheWholeRole(request, access)) return radius;
  const externalKeys = radius.externalKeys.filter((k) => k.kmsArn === request.keyArn);
  const ids = new Set(externalKeys.map((k) => k.id));
  return {
    externalKeys,
    projects: radius.projects.filter((p) => p.externalKeyId && ids.has(p.externalKeyId)),
  };
}

/** The same reads, to be made at once (workflows/revoke/together.ts). */
export function awsBaselineReads(request: AwsRevokeKeyRequest): BaselineReads {
  const reads = [
    read('describeKey', request.keyArn),
    read('snapshotAwsAccess', { keyArn: request.keyArn, roleArn: request.roleArn }),
    read('readBlastRadius', { kmsArn: request.keyArn, roleArn: request.roleArn }),
    ...(request.externalKeyId ? [read('readExternalKey', request.externalKeyId)] : []),
  ];
  return {
    reads,
    assemble: (answers) => {
      const [key, access, blastRadius, externalKey] = answers as [
        KeyDescription,
        AwsAccessSnapshot,
        BlastRadius,
        ExternalKeyView | undefined,
      ];
      // Runs from before planned with every registration through the role, whatever the method.
      const reach = patched('blast-radius-of-key-only-methods-together')
        ? withinReach(request, access, blastRadius)
        : blastRadius;
      return awsBaselineOf(key, access, externalKey, reach);
    },
  };
}
