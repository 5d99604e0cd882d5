// Creates that cannot be retried blindly: OpenAI makes a new external key or project on every POST, and
// an answer lost after the change was made (a 5xx, a dropped connection) leaves a caller that cannot tell.
// So each create is one POST whose every failure is final (`...Once`), and a finder by name lets the
// workflow adopt what that attempt made. That only works if the name is unique to the attempt (the
// workflow derives it from its run), which is also why a finder that sees several refuses to choose. A
// name alone proves nothing (anyone with the Admin API can use it first), so the finders a run uses adopt
// only what shows it is the run's own: an external key registered for the run's own replacement key (and
// role), a project bound to the run's own external key. Anything else of the name stops the run for a person.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import type { ExternalKeyView, GcpExternalKeyFields, ProjectView } from '../../common/openaiViews';
import type { AdminApi } from './adminApi';
import { nameTaken } from '../nameTaken';
import { expectListing, expectOk, openAiStep, toProjectView } from './answers';
import { gcpRegistrationBody, toRegistrationView } from './gcpRegistration';

export interface RegisterAwsKeyRequest {
  name: string;
  roleArn: string;
  kmsArn: string;
  /** The sts:ExternalId OpenAI sends (the org id, or a project id). */
  externalId: string;
}

/** A Cloud KMS key, registered with the workload identity OpenAI already uses at this customer. */
export interface RegisterGcpKeyRequest {
  type: 'gcp';
  name: string;
  gcp: GcpExternalKeyFields;
}

function registrationBody(req: RegisterAwsKeyRequest | RegisterGcpKeyRequest) {
  if ('type' in req && req.type === 'gcp') return gcpRegistrationBody(req.name, req.gcp);
  const aws = req as RegisterAwsKeyRequest;
  return {
    type: 'aws' as const,
    name: aws.name,
    role_arn: aws.roleArn,
    kms_arn: aws.kmsArn,
    external_id: aws.externalId,
  };
}

/**
 * `lookFirst` (runs from `cheaper-runs` on): the create looks for what this run made under the name itself,
 * as findOwnExternalKey / findOwnProject would in an activity of their own — adopted when the run's own,
 * NameTaken when anything else has the name — and creates only when there is nothing.
 */
export type LookFirst<T> = { lookFirst?: T };

export function registerExternalKeyOnce(api: AdminApi) {
  const findOwn = findOwnExternalKey(api);
  return async function registerExternalKey(
    req: (RegisterAwsKeyRequest | RegisterGcpKeyRequest) & LookFirst<ExpectedRegistration>,
  ): Promise<ExternalKeyView> {
    if (req.lookFirst) {
      const found = await findOwn({ name: req.name, expect: req.lookFirst });
      if (found) return found;
    }
    return await openAiStep(
      `register external key ${JSON.stringify(req.name)}`,
      async () =>
        toRegistrationView(
          expectOk(
            // The admin client types its body as AWS's (it predates Google Cloud); it sends any body as JSON.
            await api.registerExternalKey(registrationBody(req)),
          ),
        ),
      { once: true },
    );
  };
}

export function createProjectOnce(api: AdminApi) {
  const findOwn = findOwnProject(api);
  return async function createProject(
    req: {
      name: string;
      externalKeyId: string;
      /** The archived project this one replaces: part of the action the archive gate approved. */
      replaces?: string;
    } & LookFirst<boolean>,
  ): Promise<ProjectView> {
    const { name, externalKeyId } = req;
    if (req.lookFirst) {
      const found = await findOwn({ name, externalKeyId });
      if (found) return found;
    }
    return await openAiStep(
      `create project ${JSON.stringify(name)}`,
      async () => toProjectView(expectOk(await api.createProject({ name, externalKeyId }))),
      { once: true },
    );
  };
}

function onlyOne<T extends { id: string }>(what: string, found: T[]): T | null {
  if (found.length <= 1) return found[0] ?? null;
  throw ApplicationFailure.create({
    type: EkmError.PreflightFailed,
    message: `${what}: ${found.length} match (${found.map((f) => f.id).join(', ')}); a person decides which one is ours`,
    nonRetryable: true,
  });
}

export function findExternalKeyByName(api: AdminApi) {
  return async function findExternalKey(name: string): Promise<ExternalKeyView | null> {
    const what = `find external key ${JSON.stringify(name)}`;
    const keys = await openAiStep(what, async () =>
      expectListing(await api.listExternalKeys()).map(toRegistrationView),
    );
    return onlyOne(
      what,
      keys.filter((k) => k.name === name),
    );
  };
}

export function findProjectByName(api: AdminApi) {
  return async function findProject(name: string): Promise<ProjectView | null> {
    const what = `find project ${JSON.stringify(name)}`;
    // Active only: what a create made is active, and an archived namesake cannot be adopted anyway.
    const projects = await openAiStep(what, async () =>
      expectListing(await api.listProjects({ includeArchived: false })).map(toProjectView),
    );
    return onlyOne(
      what,
      projects.filter((p) => p.name === name && p.status === 'active'),
    );
  };
}

/** What makes an external key the run's own: registered for the replacement key the run proved it made. */
export type ExpectedRegistration =
  { type: 'aws'; kmsArn: string; roleArn: string } | { type: 'gcp'; keyName: string };

function registeredFor(key: ExternalKeyView, expect: ExpectedRegistration): boolean {
  if (key.type !== expect.type) return false;
  if (expect.type === 'gcp') return key.gcp?.keyName === expect.keyName;
  return key.kmsArn === expect.kmsArn && key.roleArn === expect.roleArn;
}

function registrationOf(key: ExternalKeyView): string {
  return key.type === 'gcp'
    ? `a gcp key registered for ${key.gcp?.keyName ?? 'an unknown key'}`
    : `a ${key.type} key registered for ${key.kmsArn ?? 'an unknown key'} through ${key.roleArn ?? 'an unknown role'}`;
}

/**
 * What carries `name`: the one that is provably the run's own, or null when nothing does; anything else —
 * a namesake that is not the run's, or two that are — is for a person (NameTaken with every candidate).
 */
function onlyOurs<T extends { id: string }>(
  what: string,
  name: string,
  named: T[],
  judge: (found: T) => { ours: boolean; description: string },
): T | null {
  const judged = named.map((found) => ({ found, ...judge(found) }));
  const ours = judged.filter((j) => j.ours);
  if (ours.length === judged.length && ours.length <= 1) return ours[0]?.found ?? null;
  throw nameTaken(
    what,
    name,
    judged.map(({ found, description }) => ({ id: found.id, description, value: found })),
  );
}

export function findOwnExternalKey(api: AdminApi) {
  return async function findOwnExternalKeyNamed({
    name,
    expect,
  }: {
    name: string;
    expect: ExpectedRegistration;
  }): Promise<ExternalKeyView | null> {
    const what = `find external key ${JSON.stringify(name)}`;
    const keys = await openAiStep(what, async () =>
      expectListing(await api.listExternalKeys()).map(toRegistrationView),
    );
    return onlyOurs(
      what,
      name,
      keys.filter((k) => k.name === name),
      (k) =>
        registeredFor(k, expect)
          ? {
              ours: true,
              description:
                'registered for this run’s key, as is another of the name: a person decides which is used',
            }
          : { ours: false, description: `${registrationOf(k)}, not this run’s replacement` },
    );
  };
}

export function findOwnProject(api: AdminApi) {
  return async function findOwnProjectNamed({
    name,
    externalKeyId,
  }: {
    name: string;
    externalKeyId: string;
  }): Promise<ProjectView | null> {
    const what = `find project ${JSON.stringify(name)}`;
    // Active only: what a create made is active, and an archived namesake cannot be adopted anyway.
    const projects = await openAiStep(what, async () =>
      expectListing(await api.listProjects({ includeArchived: false })).map(toProjectView),
    );
    return onlyOurs(
      what,
      name,
      projects.filter((p) => p.name === name && p.status === 'active'),
      (p) =>
        p.externalKeyId === externalKeyId
          ? {
              ours: true,
              description: `bound to this run’s ${externalKeyId}, as is another of the name: a person decides which is used`,
            }
          : {
              ours: false,
              description: `bound to ${p.externalKeyId ?? 'no external key'}, not this run’s ${externalKeyId}`,
            },
    );
  };
}
