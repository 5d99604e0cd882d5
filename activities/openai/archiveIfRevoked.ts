// The archive is irreversible, so the activity that archives checks the revocation itself, right before
// it archives: OpenAI's validate for the run's external key must answer revoked (the worker's own
// revokedMatchers decide), or nothing is archived. The workflow's own checks came earlier and in another
// process; this one cannot be skipped by a run that never made them.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import type { ProjectView } from '../../common/openaiViews';
import type { AdminApi } from './adminApi';
import { archiveProjectActivity } from './archiveProject';
import { validateExternalKeyActivity } from './validateExternalKey';

export function archiveIfRevokedActivity(api: AdminApi, revokedMatchers: string[]) {
  const validate = validateExternalKeyActivity(api, revokedMatchers);
  const archive = archiveProjectActivity(api);
  return async function archiveProject(input: {
    projectId: string;
    externalKeyId?: string;
  }): Promise<ProjectView> {
    const { projectId, externalKeyId } = input;
    if (!externalKeyId)
      throw ApplicationFailure.create({
        type: EkmError.ApprovalNotVerified,
        nonRetryable: true,
        message: `refused to archive project ${projectId}: no external key named to validate first (externalKeyId); an archive follows a revocation OpenAI confirms`,
      });
    const answer = await validate(externalKeyId);
    if (answer.outcome !== 'revoked')
      throw ApplicationFailure.create({
        type: EkmError.PreflightFailed,
        nonRetryable: true,
        message: `refused to archive project ${projectId}: OpenAI's validate of ${externalKeyId} answered ${answer.outcome} (${answer.why}, request ${answer.requestId ?? 'without id'}), not revoked, right before the archive`,
      });
    return archive(projectId);
  };
}
