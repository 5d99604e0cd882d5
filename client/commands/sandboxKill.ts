// `ekm sandbox kill-worker` and `ekm sandbox kill-temporal`: SIGKILL the sandbox's worker or its Temporal
// dev server, to rehearse a crash in the middle of a run (the README's cache wait). `npm start` supervises
// both and starts them again; the pids come from the file it keeps in its data folder, and are only
// signalled while the launcher that wrote them is alive (after it, a pid may be someone else's).
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive, sandboxProcessesFileName, type SandboxProcesses } from '../../common/sandboxProcesses';
import { CliError } from '../errors';
import { print } from '../output';
import { sandboxDataDir } from '../runs';

type Target = 'worker' | 'temporal';
const what: Record<Target, string> = { worker: 'the ekm worker', temporal: 'the Temporal dev server' };
const waitMs = 180_000;

function readProcesses(file: string): SandboxProcesses | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxProcesses;
  } catch {
    return undefined;
  }
}

/** The running sandbox's record of its processes, or an error that says how to get one. */
function runningSandbox(file: string): SandboxProcesses {
  const processes = readProcesses(file);
  if (!processes)
    throw new CliError(
      `no running sandbox here (no ${file}): start it with \`npm start\` (or set EKM_DATA_DIR to its data folder).`,
    );
  if (!isAlive(processes.launcher))
    throw new CliError(
      `the sandbox that wrote ${file} (npm start, pid ${processes.launcher}) is not running: start it with \`npm start\`.`,
    );
  return processes;
}

async function killAndFollow(target: Target, opts: { json?: boolean; wait?: boolean }): Promise<void> {
  const file = path.join(sandboxDataDir(), sandboxProcessesFileName);
  const killed = runningSandbox(file)[target];
  if (!killed || !isAlive(killed.pid))
    throw new CliError(
      `${what[target]} is not running${killed ? ` (pid ${killed.pid})` : ''}: the sandbox is starting or restarting it — try again in a few seconds (its progress is in npm start's output).`,
    );
  process.kill(killed.pid, 'SIGKILL');
  let restarted: SandboxProcesses[Target];
  if (opts.wait) {
    // The launcher rewrites the file once the new process is ready, not when it is spawned.
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = runningSandbox(file)[target];
      if (now && now.pid !== killed.pid && isAlive(now.pid)) {
        restarted = now;
        break;
      }
      if (Date.now() > deadline)
        throw new CliError(
          `${what[target]} was killed (pid ${killed.pid}) but not restarted within ${waitMs / 1000} s: see npm start's output and its logs.`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  print(opts, { killed: target, pid: killed.pid, signal: 'SIGKILL', restarted: restarted ?? null }, () =>
    [
      `killed ${what[target]} (pid ${killed.pid}) with SIGKILL; the sandbox restarts it within seconds (npm start says when).`,
      ...(restarted ? [`${what[target]} is running again: pid ${restarted.pid}.`] : []),
    ].join('\n'),
  );
}

function registerKill(sandbox: Command, target: Target, description: string): void {
  sandbox
    .command(`kill-${target}`)
    .description(description)
    .option('--wait', 'return once the sandbox has started it again')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; wait?: boolean }) => killAndFollow(target, opts));
}

export function registerSandboxKill(sandbox: Command): void {
  registerKill(
    sandbox,
    'worker',
    "SIGKILL the sandbox's ekm worker (npm start restarts it; runs carry on where they were)",
  );
  registerKill(
    sandbox,
    'temporal',
    "SIGKILL the sandbox's Temporal dev server (npm start restarts it on the same port and SQLite file)",
  );
}
