// Keys in several AWS accounts and regions, one deployment: with `aws.accounts` configured, every AWS
// activity uses the clients of the account and region its key's ARN names (OpenAI's role is always in the
// key's account: providers/aws/arns.ts), one client set per (account, region), made on first use and kept.
// A key in an account the configuration does not list is refused before anything is read, naming the
// account and the field to add. Without `aws.accounts` nothing changes: one client set, as before.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { AwsAccountSettings, AwsConfig } from '../config';
import type { QuotaLimiter } from '../../../activities/quotas/limiters';
import { createAwsClients, type AwsClients, type AwsSettings } from './clients';
import { awsRequestHandler } from '../../../activities/proxy/awsRequestHandler';

/** Where an activity acts: the account and region of the key (or role) its input names. */
export interface AwsPlace {
  account: string;
  region?: string;
  /** The ARN the place was read from, for the refusal's message. */
  from: string;
}

const arnParts = /^arn:aws[a-z-]*:(kms|iam):([a-z0-9-]*):(\d{12}):/;

function placeOfArn(arn: unknown): AwsPlace | undefined {
  if (typeof arn !== 'string') return undefined;
  const m = arnParts.exec(arn);
  return m ? { account: m[3]!, region: m[2] || undefined, from: arn } : undefined;
}

/**
 * The key an activity's input names: a key ARN given alone (describeKey, readKeyRotation), a request's
 * `keyArn` or `kmsArn`, the key a replacement replaces (`oldKeyArn`), a snapshot's key; else the role's
 * account. Undefined for inputs naming none (an alias; a replacement made by a run from before
 * `replacement-in-the-keys-account`): those use the worker's own account.
 */
export function placeOfInput(input: unknown): AwsPlace | undefined {
  if (typeof input === 'string') return placeOfArn(input);
  if (typeof input !== 'object' || input === null) return undefined;
  const i = input as {
    keyArn?: unknown;
    kmsArn?: unknown;
    oldKeyArn?: unknown;
    roleArn?: unknown;
    snapshot?: { key?: { arn?: unknown }; role?: { arn?: unknown } };
  };
  return (
    placeOfArn(i.keyArn) ??
    placeOfArn(i.kmsArn) ??
    // A replacement key still to be made or found: it goes where the key it replaces is.
    placeOfArn(i.oldKeyArn) ??
    placeOfArn(i.snapshot?.key?.arn) ??
    placeOfArn(i.roleArn) ??
    placeOfArn(i.snapshot?.role?.arn)
  );
}

/** Credentials of an assumed role, renewed five minutes before they expire; one AssumeRole at a time. */
function assumedRoleCredentials(
  roleArn: string,
  externalId: string | undefined,
  sts: STSClient,
): () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }> {
  let current: Awaited<ReturnType<ReturnType<typeof assumedRoleCredentials>>> | undefined;
  let pending: Promise<NonNullable<typeof current>> | undefined;
  return async () => {
    if (current?.expiration && current.expiration.getTime() - Date.now() > 5 * 60_000) return current;
    pending ??= sts
      .send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'ekm-worker',
          ExternalId: externalId,
          DurationSeconds: 3600,
        }),
      )
      .then(({ Credentials: c }) => {
        if (!c?.AccessKeyId || !c.SecretAccessKey)
          throw new Error(`STS AssumeRole on ${roleArn} answered without credentials`);
        current = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration ?? new Date(Date.now() + 3600_000),
        };
        return current;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
}

function signInOf(
  settings: AwsAccountSettings,
  region: string,
  endpoint: string | undefined,
): Pick<AwsSettings, 'credentials' | 'profile'> {
  const c = settings.credentials;
  if (!c) return {};
  if ('profile' in c) return { profile: c.profile };
  if ('roleToAssume' in c)
    return {
      credentials: assumedRoleCredentials(
        c.roleToAssume,
        c.externalId,
        new STSClient({ region, endpoint, requestHandler: awsRequestHandler() }),
      ),
    };
  const accessKeyId = process.env[c.accessKeyIdEnv];
  const secretAccessKey = process.env[c.secretAccessKeyEnv];
  // Read on use, so a missing variable fails the call that needs it with its name, not the worker's start.
  return {
    credentials: async () => {
      if (!accessKeyId || !secretAccessKey)
        throw new Error(
          `the environment variable ${accessKeyId ? c.secretAccessKeyEnv : c.accessKeyIdEnv} named by aws.accounts credentials is not set`,
        );
      return { accessKeyId, secretAccessKey };
    },
  };
}

function notConfigured(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: EkmError.WorkerMisconfigured, message, nonRetryable: true });
}

/** One client set per (account, region) of `aws.accounts`, made on first use. */
export class AwsAccountClients {
  private readonly made = new Map<string, AwsClients>();

  /** `limiterOf` gives each (account, region) its own budget: AWS's quotas are per account and region. */
  constructor(
    private readonly section: AwsConfig,
    private readonly limiterOf?: (accountRegion: string) => QuotaLimiter,
  ) {}

  /** The clients for a place; refuses (non-retryable, naming the field) one the configuration lacks. */
  clientsFor(place: AwsPlace): AwsClients {
    const accounts = this.section.accounts ?? {};
    const settings = accounts[place.account];
    if (!settings)
      throw notConfigured(
        `${place.from} is in AWS account ${place.account}, which this worker is not configured for (aws.accounts lists ${Object.keys(accounts).join(', ') || 'none'}): add "${place.account}" to aws.accounts in the worker configuration, e.g. "aws": { "accounts": { "${place.account}": { "credentials": { "roleToAssume": "arn:aws:iam::${place.account}:role/<the worker's role>" } } } }, and restart the worker; nothing was changed`,
      );
    const region = place.region ?? settings.regions?.[0] ?? this.section.region;
    if (settings.regions && !settings.regions.includes(region))
      throw notConfigured(
        `${place.from} is in region ${region}, which aws.accounts."${place.account}".regions (${settings.regions.join(', ')}) does not list: add "${region}" there, or leave regions out to allow every region; nothing was changed`,
      );
    const id = `${place.account}/${region}`;
    let clients = this.made.get(id);
    if (!clients) {
      const endpoint = settings.endpoint ?? this.section.endpoint;
      clients = createAwsClients(
        {
          region,
          endpoint,
          cloudTrailEndpoint: settings.cloudTrailEndpoint ?? this.section.cloudTrailEndpoint,
          ...signInOf(settings, region, endpoint),
        },
        this.limiterOf?.(id),
      );
      this.made.set(id, clients);
    }
    return clients;
  }
}

/**
 * The activities `make` builds, each call routed to the activity set of its input's account and region.
 * Sets are built once per (account, region); an input naming no account uses `fallback`.
 */
export function routedByAccount<A extends Record<string, (...args: never[]) => unknown>>(
  router: AwsAccountClients,
  fallback: A,
  make: (clients: AwsClients) => A,
): A {
  const sets = new Map<AwsClients, A>();
  const setFor = (input: unknown): A => {
    const place = placeOfInput(input);
    if (!place) return fallback;
    const clients = router.clientsFor(place);
    let set = sets.get(clients);
    if (!set) sets.set(clients, (set = make(clients)));
    return set;
  };
  return Object.fromEntries(
    Object.keys(fallback).map((name) => [
      name,
      // Activities are called with their input first; the set's own function keeps its name and checks.
      async (...args: unknown[]) => (setFor(args[0])[name] as (...a: unknown[]) => unknown)(...args),
    ]),
  ) as unknown as A;
}
