// Starting and stopping the sandbox's server processes. Each child gets a process group of its own, so
// stopping it also stops anything it spawned; its output goes to a log file whose tail is shown when it
// fails to come up.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** What the process has written to its log since this start. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
  hasExited(): boolean;
  /** SIGTERM to the process group, then SIGKILL after the grace period. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/** Every process started here that has not exited yet, oldest first: what a shutdown must stop. */
export const liveServices = new Set<ServiceProcess>();

/** Stops every live service, newest first (the worker before the servers it talks to). */
export async function stopAll(): Promise<void> {
  for (const service of [...liveServices].reverse()) await service.stop();
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logFile: string;
  cwd?: string;
  /** Run as this user and group (root only): PostgreSQL refuses to run as root. */
  uid?: number;
  gid?: number;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: StartOptions,
): ServiceProcess {
  const log = fs.openSync(options.logFile, 'a');
  fs.writeSync(log, `\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  const startOffset = fs.fstatSync(log).size;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', log, log],
    detached: true,
    uid: options.uid,
    gid: options.gid,
  });
  fs.closeSync(log);
  let exitedFlag = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    });
    child.once('error', (err) => {
      exitedFlag = true;
      resolve(`error ${err.message}`);
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const service: ServiceProcess = {
    name,
    child,
    logFile: options.logFile,
    output: () => fs.readFileSync(options.logFile).subarray(startOffset).toString('utf8'),
    exited,
    hasExited: () => exitedFlag,
    async stop(graceMs = 10_000) {
      if (!exitedFlag) signalGroup('SIGTERM');
      const outcome = await Promise.race([exited.then(() => 'exited'), delay(graceMs).then(() => 'timeout')]);
      if (outcome === 'timeout') {
        signalGroup('SIGKILL');
        await exited;
      }
      // Children of the child that ignored SIGTERM go too.
      signalGroup('SIGKILL');
    },
  };
  liveServices.add(service);
  void exited.then(() => liveServices.delete(service));
  return service;
}

export function logTail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `isReady` until it answers true. Fails early, with the log's tail, if the process exits, and
 * after `timeoutMs` otherwise — never hangs.
 */
export async function waitUntilReady(
  service: ServiceProcess,
  isReady: () => Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 200 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.hasExited()) {
      throw new Error(
        `${service.name} exited (${await service.exited}) before it was ready; its log, ${service.logFile}, ends with:\n${logTail(service.logFile)}`,
      );
    }
    if (await isReady().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${service.name} did not answer within ${timeoutMs / 1000}s; its log, ${service.logFile}, ends with:\n${logTail(service.logFile)}`,
      );
    }
    await delay(intervalMs);
  }
}

/** True when an HTTP GET of `url` answers with `status`. */
export async function answersHttp(url: string, status = 200): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.body?.cancel();
  return response.status === status;
}
