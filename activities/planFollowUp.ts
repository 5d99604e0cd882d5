// The follow-up plan as an activity, for runs from before `cheaper-runs` and for the restore (later
// revocations compute it in the workflow: it is pure). The plan itself lives in providers/followUpPlan.ts.
export { planFollowUp } from '../providers/followUpPlan';
