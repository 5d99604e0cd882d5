// Cloud Logging's Data Access log, where a Cloud KMS key's use is read: the usage check, the revocation's
// trail step and the deletion watchdog all read it through here.
import type { ActivityOptions } from '@temporalio/workflow';
import type { GcpKeyUsageReport } from '../../../activities';
import type { KeyUsageReport } from '../../aws/usageReport';
import { reads } from '../../../workflows/revoke/activities';
import type { KeyRef } from '../../operations';
import { ownRequest } from '../../provider';

export function readGcpUsage(
  ref: KeyRef,
  since: string,
  until: string,
  options: ActivityOptions,
): Promise<GcpKeyUsageReport> {
  const key = ownRequest('gcp', ref);
  return reads.readGcpKeyUsage.executeWithOptions(options, [
    { keyName: key.keyName, ...(key.principal ? { principal: key.principal } : {}), since, until },
  ]);
}

/** No Data Access entry in the whole project: the log cannot show use (Data Access logging is off). */
export function gcpTrailLooksOff(report: KeyUsageReport | GcpKeyUsageReport): boolean {
  return 'dataAccessLogs' in report && report.dataAccessLogs === 'looks-disabled';
}
