// A PostgreSQL server for the Temporal cluster, from the binaries in `.tools/postgresql/`: a data folder
// made once by initdb (password authentication, a password of its own kept beside it), then the server on
// a loopback port, TCP only. PostgreSQL refuses to run as root; as root it runs as `nobody`.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logsDir } from '../paths';
import { startProcess, waitUntilReady, type ServiceProcess } from '../process';
import type { PostgresTools } from '../tools/postgresInstall';

export interface PostgresServer extends ServiceProcess {
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export interface PostgresOptions {
  tools: PostgresTools;
  /** The cluster's state folder: the data folder and the password go in it. */
  stateDir: string;
  port: number;
  /** Skip fsync: for tests, whose data need not survive the machine. */
  fast?: boolean;
  timeoutMs?: number;
}

const user = 'temporal';

/** The unprivileged user PostgreSQL runs as when we are root (it refuses root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'nobody');
  if (!entry) throw new Error('running as root, PostgreSQL needs an unprivileged user: there is no `nobody`');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** initdb, the first time: the data folder is owned by the user the server runs as. */
function initialise(options: PostgresOptions, dataDir: string, passwordFile: string): void {
  const owner = runAs();
  const password = randomBytes(18).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file the server's user can read; it is removed right after.
  const pwfile = path.join(dataDir, '..', `.pwfile-${process.pid}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    // The server's user must pass through the state folder (a temp folder is 0700), not read it.
    fs.chmodSync(options.stateDir, fs.statSync(options.stateDir).mode | 0o111);
    fs.chownSync(dataDir, owner.uid, owner.gid);
    fs.chownSync(pwfile, owner.uid, owner.gid);
  }
  try {
    const result = spawnSync(
      options.tools.initdb,
      ['-D', dataDir, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync'],
      { encoding: 'utf8', ...owner },
    );
    if (result.status !== 0) {
      throw new Error(`initdb ${dataDir} failed (${result.status ?? result.signal}):\n${result.stderr}`);
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.writeFileSync(passwordFile, password, { mode: 0o600 });
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const dataDir = path.join(options.stateDir, 'postgres');
  const passwordFile = path.join(options.stateDir, 'postgres-password');
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    initialise(options, dataDir, passwordFile);
  }
  const args = [
    '-D',
    dataDir,
    '-h',
    '127.0.0.1',
    '-p',
    String(options.port),
    // TCP on loopback only: no Unix socket left in /tmp or /run.
    '-c',
    'unix_socket_directories=',
    // Each Temporal service keeps a pool per store (up to ~90 connections for one process).
    '-c',
    'max_connections=200',
    ...(options.fast
      ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
      : []),
  ];
  const proc = startProcess('PostgreSQL', options.tools.postgres, args, {
    logFile: path.join(logsDir(), 'cluster-postgres.log'),
    ...runAs(),
  });
  const server: PostgresServer = Object.assign(proc, {
    port: options.port,
    user,
    password: fs.readFileSync(passwordFile, 'utf8').trim(),
  });
  try {
    await waitUntilReady(
      server,
      async () => server.output().includes('database system is ready to accept connections'),
      { timeoutMs: options.timeoutMs ?? 60_000 },
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
