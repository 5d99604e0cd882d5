// google.logging.v2.LoggingServiceV2.ListLogEntries over the fake's audit entries: enough for audit
// reads through @google-cloud/logging's getEntries (filter, orderBy, resourceNames, paging). Entries go
// out as real LogEntry messages whose protoPayload is an Any holding an encoded AuditLog.
import type * as grpc from '@grpc/grpc-js';
import type { RecordedEntry } from './auditLog';
import { auditLogTypeUrl, encodeAuditLog } from './auditLogProto';
import { invalidArgument } from './errors';
import { compileFilter } from './filter';
import { unary, type FakeDeps } from './rpc';
import { page } from './views';

interface ListLogEntriesRequest {
  resourceNames?: string[];
  filter?: string;
  orderBy?: string;
  pageSize?: number;
  pageToken?: string;
}

/** Cloud Logging's page size bounds for ListLogEntries. */
const entryLimits = { default: 50, max: 1000 };

function projectsOf(resourceNames: string[] | undefined): Set<string> {
  if (!resourceNames?.length) throw invalidArgument('resource_names is required');
  return new Set(
    resourceNames.map((name) => {
      const m = /^projects\/([^/]+)$/.exec(name);
      if (!m) throw invalidArgument(`resource_names '${name}': the fake serves projects/PROJECT_ID only`);
      return m[1]!;
    }),
  );
}

function orderOf(orderBy: string | undefined): 1 | -1 {
  const normalised = (orderBy ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  if (normalised === '' || normalised === 'timestamp' || normalised === 'timestamp asc') return 1;
  if (normalised === 'timestamp desc') return -1;
  throw invalidArgument(`order_by '${orderBy}' is not supported: use "timestamp asc" or "timestamp desc"`);
}

function toLogEntry(recorded: RecordedEntry) {
  const { entry } = recorded;
  const { '@type': _type, ...payload } = entry.protoPayload;
  const seconds = Math.floor(recorded.timeMs / 1000);
  const timestamp = { seconds: String(seconds), nanos: (recorded.timeMs - seconds * 1000) * 1_000_000 };
  return {
    logName: entry.logName,
    resource: entry.resource,
    // proto-loader takes Any from protobufjs's bundled descriptor, whose field keeps its proto name.
    protoPayload: { type_url: auditLogTypeUrl, value: encodeAuditLog(payload) },
    timestamp,
    receiveTimestamp: timestamp,
    severity: entry.severity,
    insertId: entry.insertId,
  };
}

export function loggingHandlers(deps: FakeDeps): grpc.UntypedServiceImplementation {
  return {
    // Reading logs needs logging permissions in GCP; the fake lets every caller read.
    ListLogEntries: unary<ListLogEntriesRequest, unknown>(deps, 'ListLogEntries', {
      handle(req) {
        const projects = projectsOf(req.resourceNames);
        const matches = compileFilter(req.filter);
        const direction = orderOf(req.orderBy);
        const selected = deps.trail
          .all()
          .filter((r) => projects.has(r.project) && matches(r.entry))
          .sort((a, b) => direction * (a.timeMs - b.timeMs || a.seq - b.seq));
        const context = JSON.stringify([[...projects].sort(), req.filter ?? '', direction]);
        const { items, nextPageToken } = page(selected, req.pageSize, req.pageToken, context, entryLimits);
        return { entries: items.map(toLogEntry), nextPageToken };
      },
    }),
  };
}
