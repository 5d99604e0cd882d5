// The runbook's best practice after a revocation: a new KMS key with OpenAI's access, registered as a new
// external key, and a new project bound to it for each archived one. Many runs share one organisation and
// one cloud account, and anyone with access to them can create a resource under a name a run will give
// (a run's ids are public), so:
// - every name derives from a hash of the whole run id, never from a prefix (run ids are UUIDv7: their
//   first digits are a clock that runs started in the same minute share);
// - a run adopts what it finds under its name (before a create, or after one whose answer was lost) only
//   when that shows it is the run's own: a cloud key or role carrying the worker's marker, an external
//   key registered for the run's own new key, a project bound to the run's own external key;
// - anything else stops the run for a person, who adopts, creates again under a new name, or abandons.
// Creates that cannot be retried blindly (a project can never be deleted) are sent once and reconciled by
// listing.
import { isCancellation, sleep } from '@temporalio/workflow';
import type { ExpectedRegistration, RegisterAwsKeyRequest, RegisterGcpKeyRequest } from '../../activities';
import type { ApprovalProof } from '../../common/approvalProof';
import { EkmError, finalErrorTypes } from '../../common/errors';
import type { Candidate, NameTakenDetails } from '../../common/nameTaken';
import type { ProjectView } from '../../common/openaiViews';
import { rootMessage } from '../../common/rootMessage';
import { runTag } from '../../common/runTag';
import type { RunStatus } from '../../providers/runStatus';
import type { Gatekeeper } from '../approvals/gatekeeper';
import { call } from './call';
import { runsCheaper } from './cheaperRuns';

/** What the replacement step made; on Google Cloud the key is named by `keyName` (no ARN, no role). */
export type Replacement = NonNullable<RunStatus['replacement']> & {
  keyName?: string;
  projects: ProjectView[];
};

/** A person abandoned the replacement, or nobody resolved its stop in time: nothing more is made. */
export class ReplacementStopped extends Error {
  constructor(
    readonly made: Replacement,
    reason: string,
  ) {
    super(reason);
  }
}

/** What every name this run gives carries (common/runTag.ts). */
export { runTag };

/** The n-th attempt's name: the first keeps the base, a create-again adds `-2`, `-3`, … */
export const attemptName = (base: string, n: number) => (n === 1 ? base : `${base}-${n}`);

/** One thing the replacement makes, and how the run recognises it as its own. */
interface Owned<T> {
  /** In the runbook's words: `replacement external key`. */
  what: string;
  /** The name the n-th attempt gives. */
  name(n: number): string;
  /** What this run made under that name, proven as its own; fails NameTaken when anything else has it. */
  find?(n: number): Promise<T | null>;
  /** With `find`: exactly one attempt. Without: an idempotent "make it so" that fails NameTaken instead. */
  create(n: number): Promise<T>;
  /** The create looks for what the run made under the name itself (cheaper runs): no look of its own first. */
  createLooksFirst?: boolean;
  /** What a person's adoption gives (default: the candidate as the finder saw it). */
  adopt?(candidate: Candidate, n: number): Promise<T>;
}

type Attempt<T> = { made: T } | { stop: { why: string; candidates: Candidate[] } };

function nameTakenIn(err: unknown): NameTakenDetails | undefined {
  const cause = (err as { cause?: { type?: string; details?: unknown[] } }).cause;
  return cause?.type === EkmError.NameTaken ? (cause.details?.[0] as NameTakenDetails) : undefined;
}

/**
 * Reconcile first (a crash after an earlier attempt), then exactly one attempt; if it fails, look again
 * for what it may have made — a few times, since listings can lag the create. Nothing found after a failed
 * create, or a name taken by something not provably this run's: a person decides.
 */
async function tryToMake<T>(owned: Owned<T>, n: number, looks = 3): Promise<Attempt<T>> {
  const taken = (err: unknown): Attempt<T> | undefined => {
    const details = nameTakenIn(err);
    return (
      details && {
        stop: {
          why: `${owned.name(n)} is taken by something this run cannot prove it made`,
          candidates: details.candidates,
        },
      }
    );
  };
  const look = async (): Promise<Attempt<T> | undefined> => {
    if (!owned.find) return undefined;
    try {
      const found = await owned.find(n);
      return found ? { made: found } : undefined;
    } catch (err) {
      const stop = taken(err);
      if (stop) return stop;
      throw err;
    }
  };
  const earlier = owned.createLooksFirst ? undefined : await look();
  if (earlier) return earlier;
  let failure: unknown;
  try {
    return { made: await owned.create(n) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const stop = taken(err);
    if (stop) return stop;
    if (!owned.find) throw err;
    failure = err;
  }
  for (let i = 1; i <= looks; i++) {
    const found = await look();
    if (found) return found;
    if (i < looks) await sleep(i * 5000, { summary: `look again for the ${owned.what}` });
  }
  const type = (failure as { cause?: { type?: string } }).cause?.type;
  if (type && type !== EkmError.CreateOutcomeUnknown && (finalErrorTypes as string[]).includes(type))
    throw failure; // refused outright (bad request, misconfiguration): nothing was made
  return {
    stop: {
      why: `the one attempt to make the ${owned.what} failed (${rootMessage(failure)}) and nothing it may have made is listed`,
      candidates: [],
    },
  };
}

/** Makes `owned` (or adopts what is provably this run's); stops for a person otherwise. */
export async function makeOwned<T>(owned: Owned<T>, gates: Gatekeeper, made: Replacement): Promise<T> {
  for (let n = 1; ; n++) {
    const attempt = await tryToMake(owned, n);
    if ('made' in attempt) return attempt.made;
    const { why, candidates } = attempt.stop;
    const decision = await gates.stopForPerson('archive', {
      step: owned.what,
      name: owned.name(n),
      why,
      candidates: candidates.map(({ id, description }) => ({ id, description })),
    });
    if (decision.startsWith('adopt ')) {
      const candidate = candidates.find((c) => c.id === decision.slice('adopt '.length))!;
      return owned.adopt ? await owned.adopt(candidate, n) : (candidate.value as T);
    }
    if (decision !== 'create-again')
      throw new ReplacementStopped(
        made,
        decision === 'abandon'
          ? `the replacement was abandoned by a person at the ${owned.what} (${owned.name(n)})`
          : `nobody resolved the stop at the ${owned.what} (${owned.name(n)}) before its deadline: nothing more was made`,
      );
  }
}

type Registration = RegisterAwsKeyRequest | RegisterGcpKeyRequest;

/**
 * The replacement's OpenAI side, the same for both clouds: its external key (registered once under a name
 * derived from the run; on a retry, found by that name and adopted only when registered for this run's new
 * key) and one new project per archived one (adopted only when bound to that external key).
 */
export async function withOpenAiSide(
  made: Replacement,
  registration: (name: string) => Registration,
  expect: ExpectedRegistration,
  archived: ProjectView[],
  tag: string,
  gates: Gatekeeper,
): Promise<Replacement> {
  const approval: ApprovalProof = gates.proof('archive');
  // Cheaper runs look for what they made inside each create, not in an activity before it.
  const cheaper = runsCheaper();
  const keyName = (n: number) => attemptName(`ekm-${tag}`, n);
  const externalKey = await makeOwned(
    {
      what: 'replacement external key',
      name: keyName,
      find: (n) =>
        call('read', 'findOwnExternalKey', `look for external key ${keyName(n)}`, {
          name: keyName(n),
          expect,
        }),
      create: (n) =>
        call('once', 'registerExternalKeyOnce', `register ${keyName(n)} with OpenAI (one attempt)`, {
          ...registration(keyName(n)),
          ...(cheaper ? { lookFirst: expect } : {}),
          approval,
        }),
      createLooksFirst: cheaper,
    },
    gates,
    made,
  );
  made.externalKeyId = externalKey.id;
  for (const old of archived) {
    // The old project's id keeps two old projects of the same name from sharing one replacement.
    const name = (n: number) => attemptName(`${old.name}-${tag}-${old.id.slice(-6)}`, n);
    const project = await makeOwned(
      {
        what: `replacement project for ${old.id}`,
        name,
        find: (n) =>
          call('read', 'findOwnProject', `look for project ${name(n)}`, {
            name: name(n),
            externalKeyId: externalKey.id,
          }),
        create: (n) =>
          call('once', 'createProjectOnce', `create project ${name(n)} (one attempt)`, {
            name: name(n),
            externalKeyId: externalKey.id,
            ...(gates.bindsActions() ? { replaces: old.id } : {}),
            ...(cheaper ? { lookFirst: true } : {}),
            approval,
          }),
        createLooksFirst: cheaper,
      },
      gates,
      made,
    );
    made.projects.push(project);
    made.projectId = made.projects[0]!.id;
  }
  return made;
}
