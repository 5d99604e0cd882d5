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
