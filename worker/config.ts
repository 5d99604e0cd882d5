// The worker's configuration: what runs may touch is decided here, never by a run's input. Read from the
// JSON file named by EKM_WORKER_CONFIG (or defaults when unset); secrets are not part of it — AWS
// credentials come from the default chain of the worker's environment.
import * as fs from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../common/keys';
import { httpUrl } from '../common/httpUrl';
import { cloudConfigSections } from '../providers/cloudConfigs';
import { workerRoles } from '../common/workerRoles';
import { publicKeyPattern } from '../common/signedStatement';
import { publicKeyFrom } from '../activities/evidence/signer';
import { defaultTaskQueue } from '../common/taskQueue';
import { sandboxReachesOut } from './sandboxLoopback';
import { quotasSection } from './quotas';
import { telemetrySection } from './telemetryConfig';
import { versioningSection } from './versioning';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

/** An Ed25519 public key as PEM (SPKI) or base64 DER: how a verifier is told which evidence key to trust. */
const evidencePublicKey = z.string().refine(
  (text) => {
    try {
      publicKeyFrom(text);
      return !text.includes('PRIVATE KEY');
    } catch {
      return false;
    }
  },
  {
    message:
      'must be an Ed25519 public key in PEM (the `.pub` file next to the signing key), never the private key',
  },
);

const person = z.string().trim().min(1, 'must name a person (e.g. alice@example.com)');

/** Who may approve a gate, how many must, and how long they have before the gate fails closed. */
const gatePolicyFields = {
  approvers: z.array(person).min(1, 'must name at least one approver'),
  quorum: z.number().int().min(1, 'must be at least 1').default(1),
  deadlineSeconds: z
    .number()
    .int()
    .min(60, 'must be at least 60 seconds')
    .max(30 * 86400, 'must be at most 30 days')
    .default(86400),
};
const quorumReachable = [
  (p: { quorum: number; approvers: string[] }) =>
    p.quorum <= new Set(p.approvers.map((a) => a.trim().toLowerCase())).size,
  {
    message: 'quorum is larger than the number of distinct approvers: no vote could ever pass',
    path: ['quorum'],
  },
] as [(p: { quorum: number; approvers: string[] }) => boolean, { message: string; path: string[] }];
const gatePolicy = z
  .object(gatePolicyFields)
  .strict()
  .refine(...quorumReachable);
export type GatePolicy = z.infer<typeof gatePolicy>;

/** The gates every revocation needs a policy for (a run's settings refuse without them). */
export const gateKinds = ['revoke', 'archive', 'deletion', 'restore'] as const;
/**
 * Gates a revocation run does not need: a read worker may leave them out. Every worker that changes
 * things serves them too (servedGateKinds), so a rotation always goes through its gate.
 */
export const optionalGateKinds = ['rotate'] as const;
export type GateKind = (typeof gateKinds)[number] | (typeof optionalGateKinds)[number];
/** The gates a worker with role all or mutating serves, each of which its configuration must give a policy. */
export const servedGateKinds = [...gateKinds, ...optionalGateKinds] as const;

/**
 * The incident policy, and the gates it may decide: only the revoke gate unless the configuration says
 * otherwise — an incident needs access cut fast, never a project archived or a key deleted in a hurry.
 */
const breakGlassPolicy = z
  .object({
    ...gatePolicyFields,
    gates: z
      .array(
        z.enum([...gateKinds, ...optionalGateKinds], {
          message: `must be a gate kind: ${[...gateKinds, ...optionalGateKinds].join(', ')}`,
        }),
      )
      .min(1, 'must list at least one gate (omit it for the default, revoke only)')
      .default(['revoke']),
  })
  .strict()
  .refine(...quorumReachable);

export const workerConfigSchema = z
  .object({
    taskQueue: z.string().min(1, 'must not be empty').default(defaultTaskQueue),
    /**
     * Where runs send the changes (revoke, restore, rotate, archive, creates, deletion), so that only the
     * worker polling it holds credentials that can change a key. Unset: one worker does everything.
     */
    mutatingTaskQueue: z.string().min(1, 'must not be empty').optional(),
    /** What this worker runs: all; read (workflows and reads, on taskQueue); mutating (on mutatingTaskQueue). */
    role: z.enum(workerRoles, { message: 'must be all, read or mutating' }).default('all'),
    /**
     * True only for the local rehearsal sandbox, and only with loopback endpoints (checked below). It turns
     * off production protections: unsigned votes, attestations, starts and approvals are accepted (marked
     * so), approvers need no key in approvals.signers, the wait for OpenAI's key cache may be under an hour,
     * and a missing ownership secret or evidence-signing key is made and kept in the evidence directory.
     * Every run records it (its mode is `sandbox`).
     */
    sandbox: z.boolean().default(false),
    // Each cloud's own section (providers/<cloud>/config.ts): `aws` (always), `gcp` (when its keys are served).
    ...cloudConfigSections,
    openai: z
      .object({
        /** The only OpenAI host activities talk to; a run cannot name another. */
        baseUrl: httpUrl.default('https://api.openai.com/v1'),
        /** The environment variable holding the Admin API key (the key itself never sits in this file). */
        adminKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
          .default('OPENAI_ADMIN_KEY'),
        /**
         * How validate reports a revocation, as regular expressions matched against the answer's error
         * code and message. The defaults match the sandbox twin; add the real API's once it is known.
         */
        revokedMatchers: z
          .array(z.string().min(1))
          // The provider's *access* refusals only: a throttled or failing KMS says nothing about access.
          .default([
            'error surfaced from the cloud provider: (AccessDenied(Exception)?|DisabledException|KMSInvalidStateException|NotFoundException|PERMISSION_DENIED|FAILED_PRECONDITION|NOT_FOUND)\\b',
          ]),
        /** How a data call reports that the customer key refused OpenAI (probes after the revocation). */
        deniedMatchers: z.array(z.string().min(1)).default(['external_key_access_denied']),
        /**
         * Project id → the environment variable holding that project's API key, used by the probes. The key
         * is read by the activity at call time; a run only ever names the project.
         */
        projectKeys: z
          .record(
            z.string().regex(/^proj_[A-Za-z0-9_-]+$/, 'must be a project id (proj_…)'),
            z
              .string()
              .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name, not the key itself'),
          )
          .default({}),
      })
      .strict()
      .prefault({}),
    revoke: z
      .object({
        /**
         * How long to wait for OpenAI's key cache before probing. One hour against the real API (the
         * runbook's number); only a sandbox worker may wait less.
         */
        cacheWaitSeconds: z.number().int().min(1).max(86400).default(3600),
        /** Consecutive *revoked* validate answers that confirm the revocation (IAM is eventually consistent). */
        validateConfirmations: z.number().int().min(1).max(20).default(3),
        validateIntervalSeconds: z.number().int().min(1).max(3600).default(20),
        /** How long validate may keep not confirming before a person is asked. */
        validateWindowSeconds: z.number().int().min(1).max(86400).default(900),
        /** After the wait, how long data may stay readable (re-probed) before a person is asked. */
        probeWindowSeconds: z.number().int().min(1).max(86400).default(1800),
        probeIntervalSeconds: z.number().int().min(1).max(3600).default(60),
      })
      .strict()
      .prefault({}),
    usage: z
      .object({
        /**
         * How late the audit trail may list a call. CloudTrail delivers within about 5 minutes on average,
         * without a guarantee; a check "no use since the revocation" waits this long past its window's end.
         */
        deliveryLagSeconds: z.number().int().min(0).max(86400).default(900),
        /**
         * After the revoke call, how long a successful use may still appear (KMS and IAM changes are
         * eventually consistent). Such uses are reported; only later ones stop the run.
         */
        propagationGraceSeconds: z.number().int().min(0).max(3600).default(300),
        /** How far back the revocation looks for the key's last use before it changes anything. */
        lookbackSeconds: z
          .number()
          .int()
          .min(3600)
          .max(90 * 86400, 'must be at most 90 days (CloudTrail LookupEvents keeps 90 days)')
          .default(7 * 86400),
        /**
         * How many CloudTrail LookupEvents pages (50 events each) one read of a key's trail reads before it
         * stops. A read that stops here with events left says so (`truncated`, a caveat, the run's record):
         * its counts are lower bounds. At the default 2 pages a second, 100 pages (5,000 events) take
         * about a minute; 400 (20,000 events) about 3⅓ minutes.
         */
        cloudTrailMaxPages: z
          .number({ error: 'must be a whole number of pages (50 events each), such as 400' })
          .int('must be a whole number of pages (50 events each), such as 400')
          .min(1, 'must be at least 1 page (leave the field out for the default, 100 pages = 5,000 events)')
          .max(
            20_000,
            'must be at most 20000 pages (1,000,000 events, hours at CloudTrail’s 2 calls a second): narrow the window instead',
          )
          .default(100),
      })
      .strict()
      .prefault({}),
    watchdog: z
      .object({
        /** How often a key pending deletion has its audit trail read. */
        pollSeconds: z.number().int().min(1).max(86400).default(3600),
        /**
         * On any use of a key pending deletion, cancel the deletion (the key stays disabled). Off: alert
         * only, and a person decides.
         */
        cancelDeletionOnUse: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    approvals: z
      .object({
        gates: z.partialRecord(z.enum([...gateKinds, ...optionalGateKinds]), gatePolicy).default({}),
        /** Used, on a run started with urgency `incident`, for the gates it lists (default: revoke only). */
        breakGlass: breakGlassPolicy.optional(),
        /** Who may answer human tasks (ChatGPT Enterprise checks, escalations); default: every approver. */
        attesters: z.array(person).optional(),
        /**
         * Person → the Ed25519 public keys (`ed25519:<hex>`, printed by `ekm keys init`) their votes,
         * attestations and starts must be signed with. A production worker needs one for every approver and
         * attester and refuses unsigned acts; a sandbox worker also takes unsigned ones, marked so.
         */
        signers: z
          .record(
            person,
            z
              .array(
                z
                  .string()
                  .regex(
                    publicKeyPattern,
                    'must be a public key as `ekm keys init` prints it (ed25519: and 64 hex characters)',
                  ),
              )
              .min(1, 'must list at least one public key'),
          )
          .default({}),
        /**
         * Approver keys revoked from a time: acts signed with one are refused from `from` on (by the run,
         * by the change, and by `ekm evidence verify`). Keep the key under its person in `signers` so acts
         * made before the revocation still verify in old records.
         */
        revokedKeys: z
          .array(
            z
              .object({
                key: z
                  .string()
                  .regex(
                    publicKeyPattern,
                    'must be a public key as approvals.signers lists it (ed25519:<hex>)',
                  ),
                from: z.iso.datetime({
                  offset: true,
                  message: 'must be an ISO 8601 time such as 2026-12-01T09:00:00Z',
                }),
                reason: z.string().trim().min(1, 'must say why the key is revoked (e.g. "laptop stolen")'),
              })
              .strict(),
          )
          .optional(),
        /** How long a human task may stay open before the run stops at a safe point. */
        taskDeadlineSeconds: z
          .number()
          .int()
          .min(60)
          .max(30 * 86400)
          .default(7 * 86400),
      })
      .strict()
      .prefault({}),
    notifications: z
      .object({
        /** Reminders and escalations are POSTed here as JSON (and always logged by the worker). */
        webhookUrl: httpUrl.optional(),
      })
      .strict()
      .prefault({}),
    evidence: z
      .object({
        /** Where run records and access snapshots are written (a directory the worker owns), unless `s3`. */
        directory: z.string().min(1).default('./ekm-evidence'),
        /** A file holding the worker's Ed25519 private key (PKCS#8 PEM) that signs every evidence chain. */
        signingKeyFile: z.string().min(1).optional(),
        /** Or: the environment variable holding that PEM (the key itself never sits in this file). */
        signingKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name, not the key itself')
          .optional(),
        /**
         * The public half of the signing key (PEM, as `<key>.pub`), for whoever verifies with this file
         * (`ekm evidence verify --config`) without the private key; the worker refuses to start when it
         * is not the signing key's.
         */
        publicKey: evidencePublicKey.optional(),
        /**
         * Keys that signed chains before a rotation: their public half (PEM) and when they were retired.
         * `ekm evidence verify --config` trusts them for the chains they signed.
         */
        previousPublicKeys: z
          .array(
            z
              .object({
                publicKey: evidencePublicKey,
                retiredAt: z.iso.datetime({
                  offset: true,
                  message: 'must be an ISO 8601 time such as 2026-12-01T09:00:00Z',
                }),
              })
              .strict(),
          )
          .optional(),
        /**
         * The production sink: an S3 bucket created with Object Lock. Every object is written once with
         * this retention; the worker refuses to start when the bucket has no Object Lock configuration.
         */
        s3: z
          .object({
            bucket: z
              .string()
              .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3–63 characters)'),
            /** Key prefix; ends with '/' when not empty. */
            prefix: z
              .string()
              .regex(/^(|.*\/)$/, "must be empty or end with '/'")
              .default('ekm-evidence/'),
            /** The bucket's region (default: aws.region). */
            region: z
              .string()
              .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')
              .optional(),
            endpoint: httpUrl.optional(),
            /** How long each object is locked. Auditors usually keep a year or more. */
            retentionDays: z
              .number()
              .int()
              .min(1, 'must be at least 1 day')
              .max(36500, 'must be at most 100 years'),
            /** COMPLIANCE: nobody can delete early; GOVERNANCE: principals with bypass permission can. */
            mode: z.enum(['COMPLIANCE', 'GOVERNANCE'], { message: 'must be COMPLIANCE or GOVERNANCE' }),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Payload encryption: the environment variables holding the codec keys (never the keys themselves).
     * Without keys in them, payloads are stored in clear; with `required`, the worker refuses to start, and
     * refuses every payload that reaches it in clear (a run started or a message sent without the keys).
     * Optional as a whole (absent: the defaults below), so a configuration without it reads as before.
     */
    codec: z
      .object({
        keysEnv: envName.default('EKM_CODEC_KEYS'),
        keysFileEnv: envName.default('EKM_CODEC_KEYS_FILE'),
        keyIdEnv: envName.default('EKM_CODEC_KEY_ID'),
        required: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /**
     * The secret the workers mark what they create with (an HMAC of the run and step), so a run adopts a
     * key or role of its name only when the marker proves it made it: the environment variable holding it
     * (never the secret itself), the same value in every worker. A sandbox worker without it keeps its own
     * in its evidence directory; a production worker refuses to start without it.
     */
    ownership: z
      .object({ secretEnv: envName.default('EKM_OWNERSHIP_SECRET') })
      .strict()
      .prefault({}),
    /** Calls a second per rate-limited API, and activity starts a second (worker/quotas.ts, docs/quotas.md). */
    quotas: quotasSection,
    /** Metrics, health endpoints, traces and log format (worker/telemetryConfig.ts, docs/telemetry.md). */
    telemetry: telemetrySection,
    /** Worker Versioning: the Worker Deployment this worker joins (worker/versioning.ts, docs/versioning.md). */
    versioning: versioningSection,
    /** How long running activities get to finish when the worker is asked to stop. */
    shutdownGraceSeconds: z.number().int().min(0).max(3600).default(30),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ungated = missingGates(config);
    if (ungated.length)
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'gates', ungated[0]!],
        message: whyGatesMissing(config.role, ungated),
      });
    for (const issue of sandboxReachesOut(config)) ctx.addIssue({ code: 'custom', ...issue });
    const shared = sharedSignerKey(config.approvals.signers);
    if (shared)
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'signers', shared.people[1]!],
        message: `${shared.people[0]} and ${shared.people[1]} have the same public key ${shared.key.slice(0, 20)}…: a vote signed with it could be either's, so two votes could come from one person; each person signs with a key of their own (\`ekm keys init\`)`,
      });
    if (config.role !== 'all' && !config.mutatingTaskQueue)
      ctx.addIssue({
        code: 'custom',
        path: ['mutatingTaskQueue'],
        message: `is required for role ${config.role}: name the queue the mutating worker polls (the same in both workers' files)`,
      });
    if (config.mutatingTaskQueue && config.mutatingTaskQueue === config.taskQueue)
      ctx.addIssue({
        code: 'custom',
        path: ['mutatingTaskQueue'],
        message: 'must differ from taskQueue, or the read-only worker would be handed changes',
      });
    // Outside the sandbox every act is signed: a person the policy names without a key could never act.
    if (!config.sandbox) {
      const { gates, breakGlass, attesters, signers } = config.approvals;
      const withKeys = new Set(Object.keys(signers).map((p) => p.trim().toLowerCase()));
      const people = [...Object.values(gates), breakGlass].flatMap((p) => p?.approvers ?? []);
      for (const person of new Set([...people, ...(attesters ?? [])].map((p) => p.trim().toLowerCase())))
        if (!withKeys.has(person)) {
          ctx.addIssue({
            code: 'custom',
            path: ['approvals', 'signers', person],
            message: `is missing: a production worker takes signed votes and attestations only, so ${person} needs a public key (run \`ekm keys init\` and add the key it prints)`,
          });
          break;
        }
    }
    if (!config.sandbox && config.revoke.cacheWaitSeconds < 3600)
      ctx.addIssue({
        code: 'custom',
        path: ['revoke', 'cacheWaitSeconds'],
        message:
          'must be at least 3600 against the real OpenAI API (its key cache keeps entries for an hour); only a sandbox worker may wait less',
      });
    if (config.evidence.signingKeyFile && config.evidence.signingKeyEnv)
      ctx.addIssue({
        code: 'custom',
        path: ['evidence', 'signingKeyEnv'],
        message: 'name the signing key once: signingKeyFile or signingKeyEnv, not both',
      });
    // An unsigned chain proves integrity to no one: the production sink needs the key that signs it.
    if (config.evidence.s3 && !config.evidence.signingKeyFile && !config.evidence.signingKeyEnv)
      ctx.addIssue({
        code: 'custom',
        path: ['evidence', 'signingKeyFile'],
        message:
          'evidence.s3 needs a signing key: name a key file (signingKeyFile) or an environment variable (signingKeyEnv)',
      });
  });

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** The first key two people share in approvals.signers (people as the policies name them, lower case). */
function sharedSignerKey(signers: Record<string, string[]>): { key: string; people: string[] } | undefined {
  const owner = new Map<string, string>();
  for (const [person, keys] of Object.entries(signers)) {
    const who = person.trim().toLowerCase();
    for (const key of keys) {
      const other = owner.get(key.toLowerCase());
      if (other !== undefined && other !== who) return { key, people: [other, who] };
      owner.set(key.toLowerCase(), who);
    }
  }
  return undefined;
}

/**
 * The gates a worker serves without a policy: none for a read worker (it changes nothing; runs it hosts
 * still refuse without the revocation gates), every one missing from servedGateKinds for one that changes
 * things — anyone who can schedule an activity on its queue could otherwise change a key unapproved.
 */
export function missingGates(config: Pick<WorkerConfig, 'role' | 'approvals'>): string[] {
  if (config.role === 'read') return [];
  return servedGateKinds.filter((kind) => !config.approvals?.gates?.[kind]);
}

function whyGatesMissing(role: string, missing: string[]): string {
  return `is missing: a worker with role ${role} serves the ${missing.join(', ')} gate(s) and does not start without a policy for each (else anyone who can schedule a change on its queue could make it unapproved); add one per gate to the file named by EKM_WORKER_CONFIG, e.g. "approvals": { "gates": { "${missing[0]}": { "approvers": ["alice@example.com"], "quorum": 1 }, … } }, or run the worker with role read`;
}

/** Refuses a worker assembled from a configuration that never went through the schema (see missingGates). */
export function refuseUngatedWorker(config: WorkerConfig): void {
  const missing = missingGates(config);
  if (missing.length)
    throw new WorkerConfigError(
      `worker configuration: approvals.gates.${missing[0]}: ${whyGatesMissing(config.role, missing)}`,
    );
}

/** What a configuration file may say: every field optional, defaults filled in by parseWorkerConfig. */
export type WorkerConfigInput = z.input<typeof workerConfigSchema>;

export class WorkerConfigError extends Error {}

export function parseWorkerConfig(raw: unknown, source = 'worker configuration'): WorkerConfig {
  const parsed = workerConfigSchema.safeParse(raw);
  if (!parsed.success) throw new WorkerConfigError(`${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * The configuration EKM_WORKER_CONFIG names, with `overrides` (the worker's `--role`) applied before it is
 * judged. Unset, the defaults — which have no approval policy, so only a read worker starts on them.
 */
export function loadWorkerConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Pick<WorkerConfigInput, 'role' | 'mutatingTaskQueue'>> = {},
): WorkerConfig {
  const file = env.EKM_WORKER_CONFIG;
  if (!file)
    return parseWorkerConfig(
      overrides,
      'EKM_WORKER_CONFIG is not set, so the worker took the defaults; set it to your configuration file',
    );
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WorkerConfigError(
      `EKM_WORKER_CONFIG=${file}: cannot read it as JSON (${(err as Error).message}); fix the file or unset the variable.`,
    );
  }
  return parseWorkerConfig(
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw, ...overrides } : raw,
    `${file}${overrides.role ? ` (with --role ${overrides.role})` : ''}`,
  );
}
