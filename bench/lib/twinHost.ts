// The OpenAI twin in a process of its own for the benchmarks, so its CPU is measured apart from the
// benchmark's: started with moto's address and the cache TTL, it seeds demo organisations on request (each
// its own key, role, registration and two projects with probes, as the sandbox seeds them) and answers
// what the exactly-once checks read from its state, and empties the organisation between benchmarks (each
// then runs in an organisation holding only its own keys). Spoken to over the IPC channel of `fork`.
import { seedDemoOrganisation, type DemoOrganisation } from '../../sandbox/openai/demo';
import type { TrailLookup } from '../../sandbox/openai/trail';
import { startOpenAiTwin, type OpenAiTwin } from '../../sandbox/openai/twin';
import { startAwsQuotaProxy } from '../../sandbox/quota/awsProxy';
import { QuotaBook } from '../../sandbox/quota/quotaBook';

export type TwinRequest =
  | { id: number; seed: { count: number; prefix: string } }
  | { id: number; projects: true }
  /** Removes every registration and project (with their API keys and stored objects) from the organisation. */
  | { id: number; emptyOrganisation: true }
  /** The trail's LookupEvents calls from this index on (the usage scan counts the pages served). */
  | { id: number; lookupsFrom: number };

export interface TwinProjectState {
  id: string;
  status: string;
  externalKeyId: string | null;
}

export type TwinAnswer =
  | {
      id: number;
      ok: true;
      organisations?: DemoOrganisation[];
      projects?: TwinProjectState[];
      lookups?: TrailLookup[];
      removed?: OrganisationSize;
    }
  | { id: number; ok: false; error: string };

export interface OrganisationSize {
  externalKeys: number;
  projects: number;
}

/**
 * What a revocation's blast-radius read lists (every registration and project: the Admin API has no
 * filter) is emptied, so the next benchmark pays for its own keys only. Everything else that names a
 * project or key goes with it: the projects' API keys and stored objects. Left as they are: moto's keys
 * and roles and the usage trail (the customer's AWS account, not the organisation), the audit log (history,
 * read by no revocation), the data-key cache (keyed by the removed objects' ciphertexts: never asked for
 * again, it expires with the TTL) and the fault rules (by path; the benchmarks inject none).
 */
function emptyOrganisation(twin: OpenAiTwin): OrganisationSize {
  const data = twin.store.data;
  const removed = { externalKeys: data.externalKeys.length, projects: data.projects.length };
  data.externalKeys = [];
  data.projects = [];
  data.projectApiKeys = [];
  data.objects = [];
  twin.store.save();
  return removed;
}

async function seed(twin: OpenAiTwin, awsEndpoint: string, count: number, prefix: string) {
  const organisations: DemoOrganisation[] = [];
  let next = 0;
  // A few at a time: moto answers one request at a time per connection, and seeding is not measured.
  const seedOne = async () => {
    while (next < count) {
      const i = next++;
      organisations[i] = await seedDemoOrganisation({ awsEndpoint, twin, suffix: `-${prefix}-${i}` });
    }
  };
  await Promise.all(Array.from({ length: 4 }, seedOne));
  return organisations;
}

async function main(): Promise<void> {
  const { awsEndpoint, cacheTtlSeconds } = JSON.parse(process.argv[2]!) as {
    awsEndpoint: string;
    cacheTtlSeconds: number;
  };
  // The sandbox's quota layer (sandbox/quota/), one ledger for the twin and a proxy in front of moto, as
  // `npm start` has it: off (counting only) until a benchmark turns it on through POST /_sandbox/quota.
  // Seeding and the twin's own use of keys go to moto directly; only who is pointed at the proxy is counted.
  const quota = new QuotaBook({ enabled: false });
  const awsQuota = await startAwsQuotaProxy({ target: awsEndpoint, book: quota });
  const twin = await startOpenAiTwin({
    aws: { endpoint: awsEndpoint, region: 'us-east-1' },
    cacheTtlSeconds,
    quota,
  });
  process.on('message', (message: TwinRequest) => {
    void (async () => {
      try {
        if ('seed' in message) {
          const organisations = await seed(twin, awsEndpoint, message.seed.count, message.seed.prefix);
          process.send!({ id: message.id, ok: true, organisations } satisfies TwinAnswer);
        } else if ('emptyOrganisation' in message) {
          const removed = emptyOrganisation(twin);
          process.send!({ id: message.id, ok: true, removed } satisfies TwinAnswer);
        } else if ('lookupsFrom' in message) {
          const lookups = twin.trail.lookups.slice(message.lookupsFrom);
          process.send!({ id: message.id, ok: true, lookups } satisfies TwinAnswer);
        } else {
          const projects = twin.store.data.projects.map((p) => ({
            id: p.id,
            status: p.status,
            externalKeyId: p.external_key_id,
          }));
          process.send!({ id: message.id, ok: true, projects } satisfies TwinAnswer);
        }
      } catch (err) {
        process.send!({ id: message.id, ok: false, error: String(err) } satisfies TwinAnswer);
      }
    })();
  });
  process.on(
    'disconnect',
    () => void Promise.all([twin.close(), awsQuota.close()]).finally(() => process.exit(0)),
  );
  process.send!({ ready: twin.url, adminKey: twin.store.data.adminKey, awsQuota: awsQuota.endpoint });
}

void main().catch((err: unknown) => {
  console.error(`bench twin: ${String(err)}`);
  process.exit(1);
});
