// The benchmarks `npm run bench` runs, in this order: a new one is a module like these, added here.
import type { Benchmark } from '../lib/benchmark';
import { approvalLatency } from './approvalLatency';
import { costPerRun } from './costPerRun';
import { fleetThroughput } from './fleet';
import { parkedRuns } from './parkedRuns';
import { usageScan } from './usageScan';
import { workerKill } from './workerKill';

export const benchmarks: Benchmark[] = [
  costPerRun,
  approvalLatency,
  parkedRuns,
  workerKill,
  usageScan,
  fleetThroughput,
];
