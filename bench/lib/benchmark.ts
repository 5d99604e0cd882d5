// What a benchmark module is: the runner (bench/run.ts) runs each in turn on the shared world, each in an
// OpenAI organisation seeded with the keys it asks for and nothing else. A new benchmark is a module under
// bench/benchmarks/ and a line in bench/benchmarks/index.ts.
import { CpuMeter } from './cpu';
import { cpuTable, type BenchResult, type Table } from './report';
import type { BenchWorld } from './world';

export interface BenchContext {
  world: BenchWorld;
  quick: boolean;
  log(message: string): void;
}

export interface Benchmark {
  id: string;
  title: string;
  /**
   * Keys this benchmark's runs revoke (each run needs a key of its own), seeded into an emptied organisation
   * right before it runs (BenchWorld.freshOrganisation). 0 for one that seeds an organisation per size itself.
   */
  keysNeeded(quick: boolean): number;
  run(ctx: BenchContext): Promise<BenchResult>;
}

/** Runs `body` with every process's CPU metered; its table goes beside the benchmark's figures. */
export async function metered<T>(
  world: BenchWorld,
  phase: string,
  body: () => Promise<T>,
): Promise<{ value: T; cpu: Table; wallSeconds: number }> {
  const meter = new CpuMeter(() => world.pids());
  try {
    const value = await body();
    const { wallSeconds, uses } = meter.stop();
    return { value, cpu: cpuTable(phase, wallSeconds, uses), wallSeconds };
  } catch (err) {
    meter.stop();
    throw err;
  }
}
