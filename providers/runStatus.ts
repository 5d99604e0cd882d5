// A run's report (common/runStatus.ts) in the shapes of every cloud: the request, the audit trail's reports,
// the key's rotation and the actions its gates approve. The default request is AWS's revocation (the shape
// predates Google Cloud).
import type { RevocationPlanOf, RunStatusOf, UsageCheckOf, UsageReadOf } from '../common/runStatus';
import type { AwsRevokeKeyRequest } from './aws/request';
import type { PlanAction } from './planActions';
import type { KeyRotationState } from './rotateRequests';
import type { RunSubject } from './runSubject';
import type { UsageReport } from './usageRequests';

/** Every cloud's shapes of a run's report. */
interface EveryCloud {
  report: UsageReport;
  rotationState: KeyRotationState;
  action: PlanAction;
}

export type RunStatus<R extends RunSubject = AwsRevokeKeyRequest> = RunStatusOf<R, EveryCloud>;
export type RevocationPlan = RevocationPlanOf<PlanAction>;
export type UsageRead = UsageReadOf<UsageReport>;
export type UsageCheck = UsageCheckOf<UsageReport>;
