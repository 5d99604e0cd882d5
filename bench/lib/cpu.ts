// Per-process CPU and memory from /proc, so a bottleneck is seen rather than guessed: each process's
// utime+stime (its descendants included: moto's and the dev server's helpers count as theirs), sampled
// while a benchmark runs so a process that dies (a killed worker) keeps what it used.
import * as fs from 'node:fs';

/** Clock ticks per second as /proc counts them (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields) parentOf.set(Number(entry), Number(fields[1]));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++)
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  return tree.filter((p) => parentOf.has(p) || p === process.pid);
}

/** CPU seconds (user + system) one process has used since it started; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  const fields = statFields(pid);
  // After the name: state(0) ppid(1) … utime(11) stime(12).
  return fields ? (Number(fields[11]) + Number(fields[12])) / ticksPerSecond : 0;
}

/** Resident memory of a process and its descendants, in KiB. */
export function rssKiB(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      total += match ? Number(match[1]) : 0;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export interface CpuUse {
  process: string;
  cpuSeconds: number;
  /** Of one core, over the measured wall time (200% = both cores of this machine). */
  percentOfCore: number;
}

/**
 * Samples the named processes (their current pids, asked anew each time: a restarted worker is the same
 * name) until stopped; what each pid used since the meter started (or since its birth, if later) counts.
 */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { name: string; seconds: number }>();
  private readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly processes: () => Record<string, number | undefined>) {
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 250);
  }

  private sample(atStart: boolean): void {
    for (const [name, root] of Object.entries(this.processes())) {
      if (root === undefined) continue;
      const pids = root === process.pid ? [root] : processTree(root);
      for (const pid of pids) {
        const seconds = cpuSecondsOf(pid);
        if (!this.first.has(pid)) this.first.set(pid, atStart ? seconds : 0);
        if (seconds > 0) this.last.set(pid, { name, seconds });
      }
    }
  }

  stop(): { wallSeconds: number; uses: CpuUse[] } {
    this.sample(false);
    clearInterval(this.timer);
    const wallSeconds = (Date.now() - this.startedAt) / 1000;
    const byName = new Map<string, number>(Object.keys(this.processes()).map((n) => [n, 0]));
    for (const [pid, { name, seconds }] of this.last)
      byName.set(name, (byName.get(name) ?? 0) + seconds - (this.first.get(pid) ?? 0));
    const uses = [...byName].map(([name, cpuSeconds]) => ({
      process: name,
      cpuSeconds,
      percentOfCore: wallSeconds > 0 ? (100 * cpuSeconds) / wallSeconds : 0,
    }));
    return { wallSeconds, uses };
  }
}
