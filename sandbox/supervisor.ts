// Keeps one of the sandbox's processes running: when it dies (a crash, or `ekm sandbox kill-worker` in a
// rehearsal) it is started again after a short backoff, and the restart is logged. A process that keeps
// dying is not restarted for ever: past the crash-loop limit the supervisor gives up and the sandbox stops,
// saying why, because a loop of restarts hides the error in its log.
import { setTimeout as delay } from 'node:timers/promises';
import { logTail, type ServiceProcess } from './process';

export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; one more death inside the window stops the sandbox. */
  maxRestarts: number;
  windowMs: number;
  /** The first backoff; each further restart inside the window doubles it, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  maxRestarts: 5,
  windowMs: 60_000,
  backoffMs: 1000,
  maxBackoffMs: 8000,
};

export type RestartDecision = { restart: true; afterMs: number; recent: number } | { restart: false };

/** Whether to restart after a death at `now`, given the times of the earlier restarts. */
export function restartDecision(restartTimes: number[], now: number, policy: RestartPolicy): RestartDecision {
  const recent = restartTimes.filter((t) => now - t < policy.windowMs).length;
  if (recent >= policy.maxRestarts) return { restart: false };
  return {
    restart: true,
    afterMs: Math.min(policy.backoffMs * 2 ** recent, policy.maxBackoffMs),
    recent,
  };
}

export interface SupervisedOptions<S extends ServiceProcess> {
  /** For people: "the ekm worker", "the Temporal dev server". */
  name: string;
  /** Starts the process and resolves once it is ready (or rejects, having stopped it). */
  start: () => Promise<S>;
  /** True once the sandbox is stopping: a death then is expected, not a crash. */
  stopping: () => boolean;
  /** After every successful start, the first included (e.g. to record the pid). */
  onUp?: (service: S, restarted: boolean) => void;
  policy?: RestartPolicy;
  log?: (line: string) => void;
}

export class Supervised<S extends ServiceProcess = ServiceProcess> {
  private service: S | undefined;
  private readonly restartTimes: number[] = [];
  private upNow = false;
  private upWaiters: (() => void)[] = [];
  private giveUp!: (why: string) => void;
  /** Resolves with the reason when the supervisor gave up: the sandbox must stop. */
  readonly gaveUp = new Promise<string>((resolve) => (this.giveUp = resolve));

  constructor(private readonly options: SupervisedOptions<S>) {}

  /** The first start: a failure here is the sandbox's failure to come up, not a crash to retry. */
  async begin(): Promise<S> {
    const service = await this.options.start();
    this.up(service, false);
    void this.watch(service);
    return service;
  }

  /** The running process (the latest one started). */
  get current(): S | undefined {
    return this.service;
  }

  /** Resolves once the process is up (at once if it is). */
  whenUp(): Promise<void> {
    if (this.upNow) return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /** Stops the running process so that it is started again (it counts as a restart). */
  async restart(why: string): Promise<void> {
    const service = this.service;
    if (!service || service.hasExited()) return;
    this.log(`ekm sandbox: restarting ${this.options.name}: ${why}`);
    await service.stop();
  }

  private up(service: S, restarted: boolean): void {
    this.service = service;
    this.upNow = true;
    for (const resolve of this.upWaiters.splice(0)) resolve();
    this.options.onUp?.(service, restarted);
  }

  private log(line: string): void {
    (this.options.log ?? console.log)(line);
  }

  /** Waits for the process to die, then restarts it until it stays up or the policy gives up. */
  private async watch(first: S): Promise<void> {
    const policy = this.options.policy ?? defaultRestartPolicy;
    let dead: ServiceProcess = first;
    let how = await first.exited;
    for (;;) {
      this.upNow = false;
      if (this.options.stopping()) return;
      const decision = restartDecision(this.restartTimes, Date.now(), policy);
      if (!decision.restart) {
        this.giveUp(
          `${this.options.name} died ${policy.maxRestarts + 1} times within ${policy.windowMs / 1000} s (last: ${how}); not restarting it again. Its log, ${dead.logFile}, ends with:\n${logTail(dead.logFile)}`,
        );
        return;
      }
      this.log(
        `ekm sandbox: ${this.options.name} exited (${how}); restarting it in ${decision.afterMs / 1000} s (restart ${decision.recent + 1} of at most ${policy.maxRestarts} within ${policy.windowMs / 1000} s) …`,
      );
      await delay(decision.afterMs);
      if (this.options.stopping()) return;
      this.restartTimes.push(Date.now());
      try {
        const service = await this.options.start();
        this.log(`ekm sandbox: ${this.options.name} is running again (pid ${service.child.pid}).`);
        this.up(service, true);
        dead = service;
        how = await service.exited;
      } catch (err) {
        // A start that failed is one more death: the policy decides whether to try again.
        if (this.options.stopping()) return;
        how = `its restart failed: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  }
}
