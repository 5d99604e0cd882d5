// What CloudTrail says about an AWS key's use: the activity's query and report (providers/aws/activities/keyUsage.ts).
import type { TrailReport } from '../../common/usage';

/** What the usage activity is asked: the window is resolved (no "now" left open) by the workflow. */
export interface KeyUsageQuery {
  keyArn: string;
  /** Only calls by this role's sessions; omitted: every caller (the deletion watchdog's question). */
  roleArn?: string;
  since: string;
  until: string;
}

/**
 * The KMS operations that use a key's material, as CloudTrail names them. Management calls (DescribeKey,
 * GetKeyPolicy, ScheduleKeyDeletion — our own worker's among them) are not use.
 */
export const kmsCryptographicOperations = [
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateRandom',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
] as const;

/** CloudTrail's report: the counts every cloud's trail gives, for the key and the role named. */
export interface KeyUsageReport extends TrailReport {
  provider: 'aws';
  source: 'cloudtrail:LookupEvents';
  keyArn: string;
  /** The role whose sessions were counted; absent: every caller was. */
  roleArn?: string;
}
