// The blast radius of revoking OpenAI's access through one key and one role: every external key that
// uses the key or the role (revoking trust on the role cuts all of them; disabling the key cuts every
// registration of it), and every active project bound to any of them — all of which lose their data.
// On Google Cloud both methods act on the key alone (its own IAM policy, its versions), so the radius is
// every registration of that key name.
import { allInOrder } from '../../common/allInOrder';
import type { BlastRadius, ExternalKeyView } from '../../common/openaiViews';
import type { AdminApi } from './adminApi';
import { expectListing, expectOk, openAiStep, toProjectView } from './answers';
import { toRegistrationView } from './gcpRegistration';

/**
 * An AWS key and the role OpenAI assumes (absent: the method leaves the role's other keys alone), or a
 * Cloud KMS key by its resource name.
 */
export type BlastRadiusQuery = { kmsArn: string; roleArn?: string } | { gcpKeyName: string };

function affects(query: BlastRadiusQuery, key: ExternalKeyView): boolean {
  if ('gcpKeyName' in query) return key.gcp?.keyName === query.gcpKeyName;
  return key.kmsArn === query.kmsArn || (query.roleArn !== undefined && key.roleArn === query.roleArn);
}

export function readBlastRadiusActivity(api: AdminApi) {
  return async function readBlastRadius(query: BlastRadiusQuery): Promise<BlastRadius> {
    // The two listings are independent: listed at once, filtered once both are in.
    const [allKeys, allProjects] = await allInOrder([
      openAiStep('list external keys', async () =>
        expectListing(await api.listExternalKeys()).map(toRegistrationView),
      ),
      openAiStep('list active projects', async () =>
        expectListing(await api.listProjects({ includeArchived: false })).map(toProjectView),
      ),
    ]);
    const externalKeys = allKeys.filter((k) => affects(query, k));
    const keyIds = new Set(externalKeys.map((k) => k.id));
    const projects = allProjects.filter(
      (p) => p.status === 'active' && p.externalKeyId !== null && keyIds.has(p.externalKeyId),
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
