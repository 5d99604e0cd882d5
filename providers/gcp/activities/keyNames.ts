// Cloud KMS resource names, checked before any call: a malformed name is the caller's mistake (a final
// InvalidInput), not something a retry or the cloud could fix.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';

export interface GcpKeyNameParts {
  project: string;
  location: string;
  keyRing: string;
  cryptoKey: string;
  /** projects/P/locations/L/keyRings/R: where a replacement key goes, and whose IAM policy also grants. */
  ringName: string;
}

const keyNamePattern =
  /^projects\/([^/\s]+)\/locations\/([^/\s]+)\/keyRings\/([A-Za-z0-9_-]{1,63})\/cryptoKeys\/([A-Za-z0-9_-]{1,63})$/;

/** Cloud KMS: key ring and key ids are 1–63 letters, digits, `_` or `-`. */
export const resourceIdPattern = /^[A-Za-z0-9_-]{1,63}$/;

export function parseGcpKeyName(keyName: string, field = 'keyName'): GcpKeyNameParts {
  const m = keyNamePattern.exec(typeof keyName === 'string' ? keyName : '');
  if (!m)
    throw ApplicationFailure.create({
      type: EkmError.InvalidInput,
      nonRetryable: true,
      message: `${field}: ${JSON.stringify(keyName)} is not a Cloud KMS key name (projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY)`,
    });
  const [, project, location, keyRing, cryptoKey] = m as unknown as [string, string, string, string, string];
  return {
    project,
    location,
    keyRing,
    cryptoKey,
    ringName: `projects/${project}/locations/${location}/keyRings/${keyRing}`,
  };
}

/** The version's own number, the last part of its name (…/cryptoKeyVersions/N). */
export function versionNumberOf(versionName: string | null | undefined): number {
  const n = Number(versionName?.split('/').pop());
  return Number.isInteger(n) && n > 0 ? n : 0;
}
