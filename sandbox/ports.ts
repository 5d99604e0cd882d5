// Port checks done before a server is started, so a taken port is a clear error instead of a server that
// dies (or, worse, a client that talks to someone else's server).
import * as net from 'node:net';

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    readonly envVar: string,
  ) {
    super(
      `Port ${port} (${what}) is already in use on 127.0.0.1. Stop whatever holds it (\`lsof -i :${port}\`) or choose another port: ${envVar}=<port> npm start`,
    );
  }
}

function tryListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT') resolve(true);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws a PortInUseError naming the port, what wanted it and how to choose another. */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  // Also try the wildcard address: a server bound to 0.0.0.0 takes the port on loopback too.
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    if (!(await tryListen(port, host))) throw new PortInUseError(port, what, envVar);
  }
}

/** A port free on loopback right now (for tests, which must not collide with a running sandbox). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The fetch standard's "bad ports" (https://fetch.spec.whatwg.org/#port-blocking, table as of the spec's
 * July 2026 text): every fetch-based client — browsers, Node's fetch (undici), the official `openai` npm
 * package — refuses them with "bad port" before sending a byte, so no sandbox HTTP service may sit on one.
 */
export const fetchBadPorts: ReadonlySet<number> = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** The sandbox's default ports (`npm start`), each overridable by its variable. */
export const sandboxDefaultPorts = {
  EKM_TEMPORAL_PORT: 7233,
  /** The Web UI's default is the Temporal port + 1000. */
  EKM_UI_PORT: 8233,
  EKM_MOTO_PORT: 5050,
  /** Not 5060 (SIP), which is a bad port: fetch clients could never reach the twin there. */
  EKM_OPENAI_PORT: 5065,
  EKM_GCP_KMS_PORT: 5070,
  EKM_CODEC_PORT: 5080,
} as const;

export class BadPortError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    readonly envVar: string,
  ) {
    super(
      `Port ${port} (${what}) is on the fetch standard's list of bad ports: browsers, Node's fetch and the openai package refuse to connect to it ("bad port"). Choose another: ${envVar}=<port> npm start`,
    );
  }
}

/** Refuses a port that fetch clients would refuse, for a service they call over HTTP. */
export function assertFetchablePort(port: number, what: string, envVar: string): void {
  if (fetchBadPorts.has(port)) throw new BadPortError(port, what, envVar);
}

/** Reads a port from an environment variable, with a clear error for anything but 1–65535. */
export function portFromEnv(envVar: string, fallback: number): number {
  const raw = process.env[envVar];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${envVar}=${raw} is not a port: use a whole number from 1 to 65535.`);
  }
  return port;
}
