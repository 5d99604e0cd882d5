// Reads of what a run names: its projects and its external key, as OpenAI has them now. An id OpenAI does
// not know is a final OpenAiRefused naming it (404): the run's input is wrong, and no retry changes that.
import type { ExternalKeyView, ProjectView } from '../../common/openaiViews';
import type { AdminApi } from './adminApi';
import { expectOk, openAiStep, toProjectView } from './answers';
import { toRegistrationView } from './gcpRegistration';

export function readProjectsActivity(api: AdminApi) {
  return async function readProjects(ids: string[]): Promise<ProjectView[]> {
    const projects: ProjectView[] = [];
    // One at a time: a run names at most 100, and the Admin API's rate limits are not public.
    for (const id of ids) {
      projects.push(
        await openAiStep(`read project ${id}`, async () => toProjectView(expectOk(await api.getProject(id)))),
      );
    }
    return projects;
  };
}

export function readExternalKeyActivity(api: AdminApi) {
  return async function readExternalKey(id: string): Promise<ExternalKeyView> {
    return await openAiStep(`read external key ${id}`, async () =>
      // A GCP registration keeps its key's name: the preflight names the key it is registered for.
      toRegistrationView(expectOk(await api.getExternalKey(id))),
    );
  };
}
