// Runs from before names came from the whole run id and adoption needed proof (patch
// `replacement-owned-by-proof`): kept unchanged so their recorded histories replay. It named everything
// after the first 8 hex digits of the run id (a clock in UUIDv7: shared by runs started in the same minute)
// and adopted whatever it found by that name. New runs use provision.ts.
import { ApplicationFailure, isCancellation, sleep } from '@temporalio/workflow';
import { EkmError, finalErrorTypes } from '../../common/errors';
import type { ProjectView } from '../../common/openaiViews';
import type { ApprovalProof } from '../../common/approvalProof';
import type { RegisterAwsKeyRequest, RegisterGcpKeyRequest } from '../../activities';
import { call } from './call';
import type { Replacement } from './provision';
import { rootMessage } from '../../common/rootMessage';

/**
 * Reconcile first (a crash after an earlier attempt), then exactly one attempt; if it fails, look again
 * for what it may have made — a few times, since listings can lag the create — and adopt it. Nothing
 * found means a person decides: a second attempt could make a second, undeletable project.
 */
export async function createOnce<T>(
  what: string,
  find: () => Promise<T | null>,
  create: () => Promise<T>,
  looks = 3,
): Promise<T> {
  const earlier = await find();
  if (earlier) return earlier;
  let failure: unknown;
  try {
    return await create();
  } catch (err) {
    if (isCancellation(err)) throw err;
    failure = err;
  }
  for (let look = 1; look <= looks; look++) {
    const made = await find();
    if (made) return made;
    if (look < looks) await sleep(look * 5000, { summary: `look again for the ${what}` });
  }
  const type = (failure as { cause?: { type?: string } }).cause?.type;
  if (type && type !== EkmError.CreateOutcomeUnknown && (finalErrorTypes as string[]).includes(type))
    throw failure; // refused outright (bad request, misconfiguration): nothing was made
  throw ApplicationFailure.create({
    type: EkmError.CreateUnconfirmed,
    nonRetryable: true,
    message: `${what}: the one attempt failed (${rootMessage(failure)}) and nothing it may have made is listed; a person should look before anything is created again`,
  });
}

type Registration = RegisterAwsKeyRequest | RegisterGcpKeyRequest;

/**
 * The replacement's OpenAI side, the same for both clouds: its external key (registered once under a name
 * derived from the run, found by that name on a retry) and one new project per archived one.
 */
export async function withOpenAiSide(
  replacement: Replacement,
  registration: (name: string) => Registration,
  archived: ProjectView[],
  suffix: string,
  approval: ApprovalProof,
): Promise<Replacement> {
  const externalKeyName = `ekm-${suffix}`;
  const externalKey = await createOnce(
    'replacement external key',
    () => call('read', 'findExternalKeyByName', `look for external key ${externalKeyName}`, externalKeyName),
    () =>
      call('once', 'registerExternalKeyOnce', `register ${externalKeyName} with OpenAI (one attempt)`, {
        ...registration(externalKeyName),
        approval,
      }),
  );
  replacement.externalKeyId = externalKey.id;
  replacement.projects = await replacementProjects(archived, externalKey.id, suffix, approval);
  replacement.projectId = replacement.projects[0]?.id;
  return replacement;
}

/** One new project per archived one, bound to the replacement's external key. */
async function replacementProjects(
  archived: ProjectView[],
  externalKeyId: string,
  suffix: string,
  approval: ApprovalProof,
): Promise<ProjectView[]> {
  const made: ProjectView[] = [];
  for (const old of archived) {
    // The old project's id keeps two old projects of the same name from sharing one replacement.
    const name = `${old.name}-${suffix}-${old.id.slice(-6)}`;
    const project = await createOnce(
      `replacement project for ${old.id}`,
      () => call('read', 'findProjectByName', `look for project ${name}`, name),
      () =>
        call('once', 'createProjectOnce', `create project ${name} (one attempt)`, {
          name,
          externalKeyId,
          approval,
        }),
    );
    made.push(project);
  }
  return made;
}
