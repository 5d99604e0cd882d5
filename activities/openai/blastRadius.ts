// The blast radius of revoking OpenAI's access through one key and one role: every external key that
// uses the key or the role (revoking trust on the role cuts all of them; disabling the key cuts every
// registration of it), and every active project bound to any of them — all of which lose their data.
import type { BlastRadius, ExternalKeyView } from '../../common/revoke';
import type { AdminApi } from './adminApi';
import { expectListing, expectOk, openAiStep, toExternalKeyView, toProjectView } from './answers';

export function readBlastRadiusActivity(api: AdminApi) {
  return async function readBlastRadius({
    kmsArn,
    roleArn,
  }: {
    kmsArn: string;
    roleArn: string;
  }): Promise<BlastRadius> {
    const externalKeys = await openAiStep('list external keys', async () =>
      expectListing(await api.listExternalKeys())
        .map(toExternalKeyView)
        .filter((k) => k.kmsArn === kmsArn || k.roleArn === roleArn),
    );
    const keyIds = new Set(externalKeys.map((k) => k.id));
    const projects = await openAiStep('list active projects', async () =>
      expectListing(await api.listProjects({ includeArchived: false }))
        .map(toProjectView)
        .filter((p) => p.status === 'active' && p.externalKeyId !== null && keyIds.has(p.externalKeyId)),
    );
    // An external key also names its projects; one the list missed (it changed while we paged) is read
    // on its own, so the radius never shrinks because of timing.
    const seen = new Set(projects.map((p) => p.id));
    for (const id of unlisted(externalKeys, seen)) {
      const project = await openAiStep(`read project ${id}`, async () =>
        toProjectView(expectOk(await api.getProject(id))),
      );
      if (project.status === 'active') projects.push(project);
    }
    return { externalKeys, projects };
  };
}

function unlisted(keys: ExternalKeyView[], seen: Set<string>): string[] {
  const ids = keys.flatMap((k) => k.projectIds).filter((id) => !seen.has(id));
  return [...new Set(ids)];
}
