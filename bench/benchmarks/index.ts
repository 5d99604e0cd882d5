// The benchmarks `npm run bench` runs, in this order. Fleet throughput (a) comes with the fleet workflow
// and the throttling sandbox (issue 18, items 1 and 5): a module like these, added here.
import type { Benchmark } from '../lib/benchmark';
import { approvalLatency } from './approvalLatency';
import { costPerRun } from './costPerRun';
import { parkedRuns } from './parkedRuns';
import { usageScan } from './usageScan';
import { workerKill } from './workerKill';

export const benchmarks: Benchmark[] = [costPerRun, approvalLatency, parkedRuns, workerKill, usageScan];
