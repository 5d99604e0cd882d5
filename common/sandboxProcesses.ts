// The sandbox's running processes, as `npm start` records them in its data folder for `ekm sandbox
// kill-worker` and `kill-temporal` (the CLI reads the file; it never imports the sandbox). Rewritten on every
// (re)start of a process and removed when the sandbox stops, so a pid in it is one the launcher owns.
export const sandboxProcessesFileName = 'sandbox-processes.json';

export interface SandboxProcess {
  pid: number;
  startedAt: string;
  /** Times the launcher restarted it after it died. */
  restarts: number;
}

export interface SandboxProcesses {
  /** The `npm start` process itself: if it is gone, nobody restarts anything and the pids are stale. */
  launcher: number;
  worker?: SandboxProcess;
  temporal?: SandboxProcess;
}

/** True while a process with this pid exists (signal 0 checks without sending; EPERM: it exists, not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
