// A Cloud KMS rotation: a new version made primary, or the key's rotation period and next rotation time;
// the key by its resource name, OpenAI by the principal its binding names.
import { z } from 'zod';
import { gcpKeyNameField } from './keyName';
import { gcpPrincipalField } from './request';
import type { GcpKeyRotationState } from './activities/keyRotation';
import {
  refuseNothingToProve,
  rotationField,
  rotationRequestFields,
  withProjectIds,
  type RotationStateCommon,
} from '../../common/rotationRequest';

/** Google Cloud KMS: a rotation period of 24 hours to 876,000 hours, in whole days here. */
export const gcpRotationPeriodDays = { min: 1, max: 36_500 } as const;

const secondsPerDay = 86_400;

/** Cloud KMS takes the period in seconds; a run is asked for it in days. */
export function periodSecondsOf(periodDays: number): number {
  return periodDays * secondsPerDay;
}

/** Cloud KMS has no aliases: asking to point OpenAI at another key gets the same reason in its words. */
const gcpRepointRefusal =
  'Cloud KMS keys have no aliases, and pointing OpenAI at another key is a key revocation, not a ' +
  'rotation; choose `ekm revoke --provider gcp` (remove-binding or disable-versions) for that';

const gcpRotation = rotationField(
  gcpRotationPeriodDays,
  'Cloud KMS allows 24 hours to 876,000 hours',
  { min: '1 day', max: `${gcpRotationPeriodDays.max} days` },
  gcpRepointRefusal,
);

/** A Cloud KMS rotation: the key by its resource name, OpenAI by the principal its binding names. */
export const gcpRotateKeyInput = z
  .object({
    provider: z.literal('gcp'),
    keyName: gcpKeyNameField,
    principal: gcpPrincipalField,
    rotation: gcpRotation,
    ...rotationRequestFields,
  })
  .strict()
  .superRefine(refuseNothingToProve)
  .transform(withProjectIds);

export type GcpRotateKeyInput = z.input<typeof gcpRotateKeyInput>;
export type GcpRotateKeyRequest = z.output<typeof gcpRotateKeyInput>;

export interface GcpKeyRotationView extends RotationStateCommon {
  /** The key's resource name. */
  keyName: string;
  /** What the rotate-now step decides from (the primary, the newest version number). */
  gcp: {
    periodSeconds?: number;
    primaryVersion?: string;
    primaryState?: string;
    latestVersion: number;
    versions: GcpKeyRotationState['versions'];
  };
}

const versionNumber = (name: string) => Number(name.split('/').pop());

/** readGcpKeyRotation's answer in the shape both clouds' records share. */
export function gcpRotationView(s: GcpKeyRotationState): GcpKeyRotationView {
  return {
    keyName: s.keyName,
    automatic: s.automatic,
    ...(s.periodSeconds !== undefined ? { periodDays: s.periodSeconds / secondsPerDay } : {}),
    ...(s.nextRotationDate ? { nextRotationDate: s.nextRotationDate } : {}),
    rotations: s.versions
      .filter((v) => versionNumber(v.name) > 1)
      .map((v) => ({
        date: v.createTime ?? s.readAt,
        type: `version ${versionNumber(v.name)} ${v.state}${v.name === s.primaryVersion ? ', primary' : ''}`,
      })),
    readAt: s.readAt,
    gcp: {
      ...(s.periodSeconds !== undefined ? { periodSeconds: s.periodSeconds } : {}),
      ...(s.primaryVersion ? { primaryVersion: s.primaryVersion, primaryState: s.primaryState } : {}),
      latestVersion: s.latestVersion,
      versions: s.versions,
    },
  };
}
