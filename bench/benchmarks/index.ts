// The benchmarks `npm run bench` runs, in this order. The usage scan of a long trail (e) comes with the
// throttling sandbox (issue 18, item 5): a module like these, added here.
import type { Benchmark } from '../lib/benchmark';
import { approvalLatency } from './approvalLatency';
import { costPerRun } from './costPerRun';
import { fleetThroughput } from './fleet';
import { parkedRuns } from './parkedRuns';
import { workerKill } from './workerKill';

export const benchmarks: Benchmark[] = [costPerRun, approvalLatency, parkedRuns, workerKill, fleetThroughput];
