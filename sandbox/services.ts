// The sandbox's servers, each started on loopback and awaited until it answers: the Temporal dev server
// (with the project's search attributes), Temporal's time-skipping test server, and moto. The launcher
// and the test fixtures both start them from here.
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { ekmSearchAttributes, searchAttributeDeclarations } from '../common/searchAttributes';
import { addEkmSearchAttributes } from '../client/searchAttributeRegistry';
import { logsDir } from './paths';
import { answersHttp, startProcess, waitUntilReady, type ServiceProcess } from './process';
import { resolveTools } from './tools/resolve';

export interface TemporalServer extends ServiceProcess {
  /** host:port of the frontend gRPC service. */
  readonly address: string;
  /** The Web UI's URL, unless headless. */
  readonly uiUrl?: string;
}

/** True once the frontend answers GetSystemInfo (and, when asked, lists every ekm search attribute). */
export async function temporalAnswers(address: string, namespace?: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({});
    if (namespace === undefined) return true;
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const registered = Object.keys(customAttributes ?? {});
    return searchAttributeDeclarations().every((decl) => registered.includes(decl.split('=')[0]!));
  } finally {
    await connection.close();
  }
}

export interface DevServerOptions {
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file for persistence; omit to keep everything in memory. */
  dbFile?: string;
  /** Codec server the Web UI asks to decode payloads. */
  uiCodecEndpoint?: string;
  logName?: string;
  timeoutMs?: number;
  /** Register the ekm search attributes at start (default); false gives a namespace without them. */
  searchAttributes?: boolean;
}

export async function startTemporalDevServer(options: DevServerOptions): Promise<TemporalServer> {
  const { temporal } = resolveTools();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'warn',
  ];
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  const withAttributes = options.searchAttributes ?? true;
  if (withAttributes)
    for (const declaration of searchAttributeDeclarations()) args.push('--search-attribute', declaration);

  const address = `127.0.0.1:${options.port}`;
  const uiUrl = options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`;
  const proc = startProcess('Temporal dev server', temporal, args, {
    logFile: path.join(logsDir(), `${options.logName ?? 'temporal'}.log`),
  });
  const server: TemporalServer = Object.assign(proc, { address, uiUrl });
  try {
    await waitUntilReady(
      server,
      async () =>
        (await temporalAnswers(address, withAttributes ? 'default' : undefined)) &&
        (uiUrl === undefined || (await answersHttp(uiUrl))),
      { timeoutMs: options.timeoutMs ?? 90_000 },
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Registers the ekm search attributes through the operator API (the test server has no start flag for it). */
export async function registerSearchAttributes(
  address: string,
  namespace = 'default',
  keys: readonly (typeof ekmSearchAttributes)[number][] = ekmSearchAttributes,
): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    await addEkmSearchAttributes(
      connection,
      namespace,
      keys.map((key) => key.name),
    );
  } finally {
    await connection.close();
  }
}

export async function startTimeSkippingServer(options: {
  port: number;
  timeoutMs?: number;
}): Promise<TemporalServer> {
  const { temporalTestServer } = resolveTools();
  const proc = startProcess(
    'Temporal time-skipping test server',
    temporalTestServer,
    [String(options.port), '--enable-time-skipping'],
    { logFile: path.join(logsDir(), 'temporal-test-server.log') },
  );
  const address = `127.0.0.1:${options.port}`;
  const server: TemporalServer = Object.assign(proc, { address });
  try {
    await waitUntilReady(server, () => temporalAnswers(address), { timeoutMs: options.timeoutMs ?? 60_000 });
    await registerSearchAttributes(address);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

export interface MotoServer extends ServiceProcess {
  readonly endpoint: string;
}

export async function startMotoServer(options: { port: number; timeoutMs?: number }): Promise<MotoServer> {
  const { motoServer } = resolveTools();
  const proc = startProcess('moto server', motoServer, ['-H', '127.0.0.1', '-p', String(options.port)], {
    logFile: path.join(logsDir(), 'moto.log'),
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  const server: MotoServer = Object.assign(proc, { endpoint });
  try {
    await waitUntilReady(server, () => answersHttp(`${endpoint}/moto-api/`), {
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
