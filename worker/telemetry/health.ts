// GET /healthz: the process is up and serving. GET /readyz: it can do work — Temporal answers over its
// connection and the worker is running (polling its task queue). JSON bodies; 200 when true, 503 when not,
// so an orchestrator's HTTP probe needs no parsing.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { hostAndPort } from '../telemetryConfig';

/** What readiness looks at, filled in as the worker starts (both unset while it connects and bundles). */
export interface WorkerReadiness {
  connection?: NativeConnection;
  worker?: Worker;
}

export interface ReadinessReport {
  ready: boolean;
  temporal: 'connecting' | 'reachable' | 'unreachable';
  worker: string;
}

/** A cheap call every Temporal (self-hosted or Cloud) answers, with a deadline so a silent link reads as down. */
async function temporalAnswers(connection: NativeConnection): Promise<boolean> {
  try {
    await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

export async function readinessOf(state: WorkerReadiness): Promise<ReadinessReport> {
  const temporal = !state.connection
    ? 'connecting'
    : (await temporalAnswers(state.connection))
      ? 'reachable'
      : 'unreachable';
  const worker = state.worker?.getState() ?? 'starting';
  return { ready: temporal === 'reachable' && worker === 'RUNNING', temporal, worker };
}

export interface HealthServer {
  /** Where it listens (the port chosen when the configuration said 0). */
  address: string;
  close(): Promise<void>;
}

export async function startHealthServer(bindAddress: string, state: WorkerReadiness): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') answer(405, { error: 'only GET' });
    else if (path === '/healthz') answer(200, { status: 'up' });
    else if (path === '/readyz')
      readinessOf(state).then(
        (report) => answer(report.ready ? 200 : 503, report),
        (err: unknown) => answer(503, { ready: false, error: String(err) }),
      );
    else answer(404, { error: 'not found: GET /healthz or /readyz' });
  });
  const { host, port } = hostAndPort(bindAddress);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
