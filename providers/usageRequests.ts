// The usage check of every cloud, told apart by `provider`: what `verifyKeyUsage` is given and reports.
import { z } from 'zod';
import type { ValidationView } from '../common/openaiViews';
import { awsUsageInput } from './aws/usageRequest';
import { gcpUsageInput } from './gcp/usageRequest';
import type { KeyUsageReport } from './aws/usageReport';
import type { GcpKeyUsageReport } from './gcp/activities/keyUsage';
import { providerSpecs } from '.';
import type { ProviderId } from './provider';

export const verifyKeyUsageInput = z.discriminatedUnion('provider', [awsUsageInput, gcpUsageInput], {
  message: 'must be aws or gcp',
});

export type VerifyKeyUsageInput = z.input<typeof verifyKeyUsageInput>;
export type VerifyKeyUsageRequest = z.output<typeof verifyKeyUsageInput>;

/** A read of the audit trail on either cloud: CloudTrail's report, or Cloud Logging's. */
export type UsageReport = KeyUsageReport | GcpKeyUsageReport;

/** The audit trail a key's use is read from: CloudTrail (AWS), Cloud Logging's Data Access log (Google Cloud). */
export function trailName(provider: ProviderId): string {
  return providerSpecs[provider].trailName;
}

export interface VerifyKeyUsageResult {
  usage: UsageReport;
  /** OpenAI's validate answer, when an external key was named. */
  validation?: ValidationView;
  /** Validate could not be asked (OpenAI unavailable, our admin key refused): why. */
  validationError?: string;
}
