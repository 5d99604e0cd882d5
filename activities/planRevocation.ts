// The revocation's plan as an activity, for runs from before `cheaper-runs` (later runs compute it in the
// workflow: it is pure). The plan itself lives in providers/revocationPlan.ts.
export { baselineDigest, planRevocation, sha256, type PlanRequest } from '../providers/revocationPlan';
