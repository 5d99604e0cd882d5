// The benchmarks `npm run bench` runs, in this order. Fleet throughput (a) and the usage scan of a long
// trail (e) come with the fleet workflow and the throttling sandbox (issue 18, items 1 and 5): each is a
// module like these, added here.
import type { Benchmark } from '../lib/benchmark';
import { approvalLatency } from './approvalLatency';
import { costPerRun } from './costPerRun';
import { parkedRuns } from './parkedRuns';
import { workerKill } from './workerKill';

export const benchmarks: Benchmark[] = [costPerRun, approvalLatency, parkedRuns, workerKill];
