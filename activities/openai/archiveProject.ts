// The runbook's "archive the project": irreversible, and safe to repeat. The project is read first, so a
// retry after a crash (or a person who archived it by hand) finds it archived and returns it; a refusal of
// the archive itself is checked against a fresh read, because OpenAI may refuse to archive twice.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import type { ProjectView } from '../../common/openaiViews';
import type { AdminApi } from './adminApi';
import { expectOk, failureForAnswer, isSuccess, isTransient, openAiStep, toProjectView } from './answers';

export function archiveProjectActivity(api: AdminApi) {
  return async function archiveProject(projectId: string): Promise<ProjectView> {
    const read = () =>
      openAiStep(`read project ${projectId}`, async () =>
        toProjectView(expectOk(await api.getProject(projectId))),
      );
    const before = await read();
    if (before.status === 'archived') return before;

    const what = `archive project ${projectId}`;
    const answer = await openAiStep(what, () => api.archiveProject(projectId));
    if (isSuccess(answer.status)) {
      const view = await openAiStep(what, async () => toProjectView(answer.body));
      if (view.status === 'archived') return view;
    }
    // Whether a transient failure was applied is unknown; the retry reads first, so repeating is safe.
    if (isTransient(answer.status)) throw failureForAnswer(what, answer);
    const after = await read();
    if (after.status === 'archived') return after;
    if (!isSuccess(answer.status)) throw failureForAnswer(what, answer);
    throw ApplicationFailure.create({
      type: EkmError.OpenAiUnavailable,
      message: `${what}: OpenAI answered HTTP ${answer.status} (request ${answer.requestId ?? 'without id'}) but the project is still ${after.status}`,
    });
  };
}
