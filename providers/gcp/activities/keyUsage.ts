// The runbook's "verify that your KMS key is being used", for Google Cloud: the Data Access audit entries
// of Encrypt and Decrypt on the key, read through Cloud Logging, counted for OpenAI's principal with the
// refused calls kept apart from the successful ones — the same report the AWS trail gives.
//
// Cloud KMS writes those entries only when Data Access audit logging is on for cloudkms.googleapis.com,
// which is off by default. An empty answer therefore proves nothing by itself: when no entry exists for
// the key, the report says whether the project has Cloud KMS Data Access entries at all, and when it has
// none it says that logging looks off and the counts cannot show use. Read-only: a retry reads again.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { TrailReport } from '../../../common/usage';
import {
  countUse,
  emptyTally,
  heartbeatProgress,
  reportOf,
  resumedProgress,
  withHeartbeats,
  type TrailProgress,
  type UsageTally,
} from '../../../activities/trailPaging';
import { callerIs, callerOf, decodeAuditLog, statusName, type AuditLogRecord } from './auditLog';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { isIamMember } from './iamPolicy';
import { parseGcpKeyName } from './keyNames';

/** ListLogEntries answers at most 1,000 entries a page. */
const pageSize = 1000;
/** 10,000 entries: beyond it the counts are lower bounds. */
const maxPages = 10;
/** Audit entries are usually readable within a minute or two of the call, without a guarantee. */
const ingestionLagMs = 10 * 60_000;
/** The _Default bucket keeps Data Access entries 30 days unless the customer routes them elsewhere. */
const retentionMs = 30 * 86_400_000;

const methods = ['Encrypt', 'Decrypt'] as const;
const qualified = (m: string) => `google.cloud.kms.v1.KeyManagementService.${m}`;

export interface GcpKeyUsageQuery {
  keyName: string;
  /** Only calls by this IAM member (OpenAI's principal://…); omitted: every caller. */
  principal?: string;
  since: string;
  until: string;
}

/**
 * seen: Data Access entries exist for the key in the window (the counts stand);
 * none-for-key: none for the key, but the project has Cloud KMS Data Access entries in the last 30 days
 *   (logging works, the key was not used in the window);
 * looks-disabled: none in the project either: Data Access logging looks off, the counts show nothing.
 */
export type DataAccessLogs = 'seen' | 'none-for-key' | 'looks-disabled';

/** Entries that could not be read as an AuditLog are counted apart (a caveat says how many). */
interface GcpTally extends UsageTally {
  undecodable: number;
}

export interface GcpKeyUsageReport extends TrailReport {
  provider: 'gcp';
  source: 'logging:ListLogEntries';
  keyName: string;
  principal?: string;
  dataAccessLogs: DataAccessLogs;
}

function dataAccessLog(project: string): string {
  return `logName="projects/${project}/logs/cloudaudit.googleapis.com%2Fdata_access"`;
}

function methodFilter(): string {
  return `protoPayload.methodName=(${methods.flatMap((m) => [`"${m}"`, `"${qualified(m)}"`]).join(' OR ')})`;
}

/** The short method name, whichever way the entry names it. */
function methodOf(record: AuditLogRecord): string {
  return record.methodName.split('.').pop() ?? record.methodName;
}

export function readGcpKeyUsageActivity(clients: GcpClients) {
  const { logging } = clients;

  /** One page of entries, decoded, and the token of the next. */
  async function page(filter: string, project: string, size: number, pageToken?: string) {
    const [entries, next] = await logging.getEntries({
      filter,
      orderBy: 'timestamp desc',
      resourceNames: [`projects/${project}`],
      pageSize: size,
      autoPaginate: false,
      ...(pageToken ? { pageToken } : {}),
    });
    return {
      entries,
      nextPageToken: (next as { pageToken?: string } | null | undefined)?.pageToken || undefined,
    };
  }

  return async function readGcpKeyUsage(query: GcpKeyUsageQuery): Promise<GcpKeyUsageReport> {
    const { project } = parseGcpKeyName(query.keyName);
    const since = new Date(query.since);
    const until = new Date(query.until);
    if (!Number.isFinite(since.getTime()) || !Number.isFinite(until.getTime()) || until <= since)
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        nonRetryable: true,
        message: `since/until: ${query.since} … ${query.until} is not a window (two instants, since before until)`,
      });
    if (query.principal !== undefined && !isIamMember(query.principal))
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        nonRetryable: true,
        message: `principal: ${JSON.stringify(query.principal)} is not an IAM member (principal://…, serviceAccount:EMAIL, user:EMAIL)`,
      });
    const what = `read Cloud KMS Data Access entries for ${query.keyName}`;
    const key = query.keyName;
    const filter = [
      dataAccessLog(project),
      'protoPayload.serviceName="cloudkms.googleapis.com"',
      methodFilter(),
      // Cloud KMS names the key, or the version it used.
      `(protoPayload.resourceName="${key}" OR protoPayload.resourceName:"${key}/cryptoKeyVersions/")`,
      `timestamp>="${since.toISOString()}"`,
      `timestamp<"${until.toISOString()}"`,
    ].join(' AND ');

    // Where an earlier attempt of this read stopped (its heartbeat), or the first page.
    const queryKey = JSON.stringify([key, query.principal ?? null, query.since, query.until]);
    const progress: TrailProgress<GcpTally> = resumedProgress<GcpTally>(queryKey) ?? {
      query: queryKey,
      pages: 0,
      tally: { ...emptyTally(), undecodable: 0 },
    };
    const { tally } = progress;
    try {
      await withHeartbeats(progress, async () => {
        do {
          // Paced by the worker's Cloud Logging reads bucket (60 a minute per project by default).
          const answer = await page(filter, project, pageSize, progress.cursor);
          for (const entry of answer.entries) {
            tally.eventsScanned++;
            let record: AuditLogRecord;
            try {
              record = decodeAuditLog(entry.data);
            } catch {
              tally.undecodable++;
              continue;
            }
            // The filter already says so; checked again so a looser server cannot inflate the counts.
            if (record.resourceName !== key && !record.resourceName.startsWith(`${key}/cryptoKeyVersions/`))
              continue;
            if (query.principal !== undefined && !callerIs(record, query.principal)) continue;
            const name = methodOf(record);
            const ts = entry.metadata.timestamp;
            const at = ts instanceof Date ? ts.getTime() : Date.parse(String(ts ?? ''));
            // Newest first (orderBy timestamp desc): the first samples kept are the newest.
            countUse(
              tally,
              name,
              at,
              {
                eventId: entry.metadata.insertId ?? '',
                eventTime: Number.isFinite(at) ? new Date(at).toISOString() : '',
                eventName: name,
                principal: callerOf(record),
              },
              record.statusCode !== 0 ? statusName(record.statusCode) : undefined,
            );
          }
          progress.pages++;
          progress.cursor = answer.nextPageToken;
          heartbeatProgress(progress);
        } while (progress.cursor && progress.pages < maxPages);
      });

      const readAt = Date.now();
      let dataAccessLogs: DataAccessLogs = 'seen';
      if (tally.eventsScanned === 0) {
        // Any Cloud KMS Encrypt/Decrypt entry in the project in the retention period shows logging works.
        const probe = await page(
          [
            dataAccessLog(project),
            'protoPayload.serviceName="cloudkms.googleapis.com"',
            methodFilter(),
            `timestamp>="${new Date(Math.min(since.getTime(), readAt - retentionMs)).toISOString()}"`,
          ].join(' AND '),
          project,
          1,
        );
        dataAccessLogs = probe.entries.length > 0 ? 'none-for-key' : 'looks-disabled';
      }

      const truncated = progress.cursor !== undefined;
      const { undecodable } = tally;
      const caveats: string[] = [];
      if (dataAccessLogs === 'looks-disabled')
        caveats.push(
          `Data Access audit logging looks disabled: project ${project} has no Cloud KMS Encrypt/Decrypt entry in the last 30 days from anyone, so these counts cannot show use; turn on DATA_READ and DATA_WRITE audit logs for cloudkms.googleapis.com (they are off by default) before relying on this check`,
        );
      if (dataAccessLogs === 'none-for-key')
        caveats.push(
          `no Encrypt or Decrypt on the key by anyone in the window, while the project's Cloud KMS Data Access logging does record other keys' use`,
        );
      if (until.getTime() > readAt - ingestionLagMs)
        caveats.push(
          'Cloud Logging makes audit entries readable shortly after the call, without a guarantee: calls in the last 10 minutes of the window may not be listed yet',
        );
      if (since.getTime() < readAt - retentionMs)
        caveats.push(
          'Data Access entries are kept 30 days in the _Default log bucket unless routed elsewhere: earlier use may not be visible here',
        );
      if (truncated)
        caveats.push(
          `more than ${maxPages * pageSize} entries on the key in the window: the counts are lower bounds; narrow the window`,
        );
      if (undecodable)
        caveats.push(
          `${undecodable} entr${undecodable === 1 ? 'y' : 'ies'} could not be read as an AuditLog and were not counted`,
        );
      return {
        provider: 'gcp',
        source: 'logging:ListLogEntries',
        keyName: key,
        ...(query.principal !== undefined ? { principal: query.principal } : {}),
        since: since.toISOString(),
        until: until.toISOString(),
        ...reportOf(tally),
        truncated,
        caveats,
        readAt: new Date(readAt).toISOString(),
        dataAccessLogs,
      };
    } catch (err) {
      throw toGcpFailure(err, what);
    }
  };
}
