// (a) A fleet of N keys revoked by `revokeFleet` through the quota layer (the sandbox's published rates ×
// a scale), against, side by side in the same run and on freshly seeded keys of the same shape: (1) the
// runbook scripted one key after another, (2) the same script over every key at once (Promise.all, the
// SDKs' default retries), both making the same calls a fleet child makes (bench/peers/), and (3) the quota
// bound — Σ calls to the binding quota ÷ its rate, read from the quota layer's counts (/_sandbox/calls).
// Every key's change exactly once (moto's recording), every child completed, its projects archived once
// and replaced (the twin); the naive script's losses to throttling counted.
import { request } from 'undici';
import type { Benchmark, BenchContext } from '../lib/benchmark';
import { metered } from '../lib/benchmark';
import { runFleet } from '../lib/fleetRuns';
import type { Check, Figure, Table } from '../lib/report';
import { changedOnce, inBatches } from '../lib/runs';
import { formatMs, formatRatio, ratio } from '../lib/stats';
import { benchApprovers, manyRunsSettings, type BenchWorld } from '../lib/world';
import { revokeAllAtOnce } from '../peers/naiveParallel';
import type { PeerOutcome, PeerSettings } from '../peers/runbook';
import { revokeSequentially } from '../peers/sequential';
import type { RunStatus } from '../../providers/runStatus';
import type { ActionCount, QuotaSettings } from '../../sandbox/quota/quotaBook';
import { publishedRate } from '../../sandbox/quota/rates';

const sizes = (quick: boolean) => (quick ? [20] : [50, 200]);
/** The sequential script is linear in the keys: it is measured on this many and scaled to N (said in the table). */
const sequentialSample = (quick: boolean) => (quick ? 2 : 3);
/**
 * The quota layer's rates × this. A fleet child makes ~45 Admin API calls per key (reads included), and the
 * sandbox's Admin API quota is 5/s: at × 1 a 200-key fleet's bound alone is half an hour. The scale makes
 * the bound fit the run's time while staying above what the machine's CPU can do (so the quota binds).
 */
const quotaScale = (quick: boolean) => (quick ? 4 : 8);
/**
 * Children at once. Under the quota the fleet completes about rate ÷ (binding calls per key) keys a second;
 * a child takes up to ~60 s on this loaded machine, so Little's law asks for ~20 (quick) to ~40 (full) in
 * flight to keep the binding quota busy: 50 leaves headroom, so the quota and not the concurrency binds.
 */
const concurrency = 50;
/** Keys one size revokes: the fleet's and the naive script's N each, and the sequential script's sample. */
const keysFor = (n: number, quick: boolean) => 2 * n + sequentialSample(quick);
const minute = 60_000;

type Calls = Record<string, ActionCount>;

async function quotaControl(
  world: BenchWorld,
  method: 'GET' | 'DELETE' | 'POST',
  path: string,
  body?: unknown,
) {
  const res = await request(`${world.awsQuotaEndpoint}/_sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.body.json()) as { actions: Calls; settings: QuotaSettings };
}

/** Runs `body` with the quota layer's counts reset first, and returns the calls it made. */
async function counted<T>(world: BenchWorld, body: () => Promise<T>): Promise<{ value: T; calls: Calls }> {
  await quotaControl(world, 'DELETE', 'calls');
  const value = await body();
  return { value, calls: (await quotaControl(world, 'GET', 'calls')).actions };
}

interface QuotaUse {
  quota: string;
  perSecond: number;
  admitted: number;
  throttled: number;
  boundSeconds: number;
}

/** Per quota: the calls it admitted, the ones it refused, and admitted ÷ rate — the least time they take. */
function quotaUse(calls: Calls, scale: number): QuotaUse[] {
  const byQuota = new Map<string, QuotaUse>();
  for (const [action, c] of Object.entries(calls)) {
    const rate = publishedRate(action);
    if (!rate) continue;
    const use = byQuota.get(rate.quota) ?? {
      quota: rate.quota,
      perSecond: rate.perSecond * scale,
      admitted: 0,
      throttled: 0,
      boundSeconds: 0,
    };
    use.admitted += c.calls - c.throttled;
    use.throttled += c.throttled;
    use.boundSeconds = use.admitted / use.perSecond;
    byQuota.set(rate.quota, use);
  }
  return [...byQuota.values()].sort((a, b) => b.boundSeconds - a.boundSeconds);
}

const sum = (calls: Calls, pick: (c: ActionCount) => number, match: (a: string) => boolean = () => true) =>
  Object.entries(calls)
    .filter(([a]) => match(a))
    .reduce((n, [, c]) => n + pick(c), 0);

/** Calls per key per action a fleet child made, answered ones only: what the peers make too. */
function profileOf(calls: Calls, keys: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(calls).map(([a, c]) => [a, Math.round((c.calls - c.throttled) / keys)]),
  );
}

interface SizeResult {
  rows: Table['rows'];
  quotaRows: Table['rows'];
  figures: Figure[];
  checks: Check[];
  cpu: Table[];
}

async function oneSize(ctx: BenchContext, n: number): Promise<SizeResult> {
  const { world, quick } = ctx;
  const scale = quotaScale(quick);
  // Each size in an organisation of its own: its children's blast-radius reads list this size's keys only.
  const keys = keysFor(n, quick);
  ctx.log(`(a) seeding an organisation of ${keys} keys for N = ${n} …`);
  await world.freshOrganisation(keys);
  const fleetKeys = world.take(n);
  const naiveKeys = world.take(n);
  const seqKeys = world.take(sequentialSample(quick));
  await quotaControl(world, 'POST', 'quota', { enabled: true, scale, rates: {} });
  // The worker's own budgets set to the quota layer's rates, as docs/quotas.md asks of an operator.
  const layer = (action: string) => publishedRate(action)!.perSecond * scale;
  await world.startWorker(manyRunsSettings, {
    quotas: {
      kmsWrites: layer('kms:PutKeyPolicy'),
      iamWrites: layer('iam:PutRolePolicy'),
      cloudTrailLookupEvents: layer('cloudtrail:LookupEvents'),
      openaiAdminWrites: layer('openai:admin POST /v1/organization/projects'),
      // Every Admin API call, reads included: a child's blast radius lists the whole organisation, and
      // 50 children at once queue in the worker at the rate rather than meet it as 429s.
      openaiAdminCalls: layer('openai:admin GET /v1/organization/external_keys'),
    },
  });

  ctx.log(`(a) fleet of ${n} keys (concurrency ${concurrency}, quota rates × ${scale}) …`);
  const fleet = await metered(world, `fleet of ${n} keys through the quota layer (× ${scale})`, () =>
    counted(world, async () => {
      const started = Date.now();
      const run = await runFleet(world.client, world.taskQueue, fleetKeys, {
        concurrency,
        approvers: benchApprovers,
        timeoutMs: 30 * minute,
      });
      return { ...run, ms: Date.now() - started };
    }),
  );
  const fleetCalls = fleet.value.calls;
  const { status } = fleet.value.value;
  const peerSettings: PeerSettings = {
    awsEndpoint: world.awsQuotaEndpoint,
    twinUrl: world.twinUrl,
    adminKey: world.adminKey,
    cacheWaitSeconds: manyRunsSettings.cacheWaitSeconds!,
    profile: profileOf(fleetCalls, n),
  };
  const peer = async (what: string, run: () => Promise<PeerOutcome[]>) => {
    ctx.log(`(a) ${what} …`);
    return metered(world, what, () =>
      counted(world, async () => {
        const started = Date.now();
        const outcomes = await run();
        return { outcomes, ms: Date.now() - started };
      }),
    );
  };
  // Let the quota's buckets fill again between the phases: each starts from the same full buckets.
  await new Promise((r) => setTimeout(r, 2000));
  const naive = await peer(`naive parallel script over ${n} keys (Promise.all)`, () =>
    revokeAllAtOnce(peerSettings, naiveKeys),
  );
  await new Promise((r) => setTimeout(r, 2000));
  const seq = await peer(`sequential script over ${seqKeys.length} keys`, () =>
    revokeSequentially(peerSettings, seqKeys),
  );
  await quotaControl(world, 'POST', 'quota', { enabled: false });

  const fleetUse = quotaUse(fleetCalls, scale);
  const binding = fleetUse[0]!;
  const fleetMs = fleet.value.value.ms;
  const boundMs = binding.boundSeconds * 1000;
  const seqPerKeyMs = seq.value.value.ms / seqKeys.length;
  const seqMs = seqPerKeyMs * n;
  const naiveMs = naive.value.value.ms;
  const naiveLost = naive.value.value.outcomes.filter((o) => !o.ok);
  const naiveLostToThrottling = naiveLost.filter((o) => o.throttled).length;
  const seqLost = seq.value.value.outcomes.filter((o) => !o.ok);
  const completed = status.children.filter((c) => c.endState === 'completed').length;
  const throttledOf = (c: Calls) => sum(c, (x) => x.throttled);
  const callsOf = (c: Calls) => sum(c, (x) => x.calls);
  const bindingCalls = (c: Calls) =>
    sum(
      c,
      (x) => x.calls - x.throttled,
      (a) => publishedRate(a)?.quota === binding.quota,
    );

  const rows: Table['rows'] = [
    [
      String(n),
      'fleet (revokeFleet)',
      formatMs(fleetMs),
      `${completed}/${n} completed`,
      callsOf(fleetCalls),
      throttledOf(fleetCalls),
      bindingCalls(fleetCalls),
    ],
    [
      String(n),
      'quota bound',
      formatMs(boundMs),
      `${binding.quota}: ${binding.admitted} calls ÷ ${binding.perSecond}/s`,
      '—',
      '—',
      binding.admitted,
    ],
    [
      String(n),
      'naive parallel script',
      formatMs(naiveMs),
      `${n - naiveLost.length}/${n} done; ${naiveLostToThrottling} lost to throttling` +
        (naiveLost.length > naiveLostToThrottling
          ? `, ${naiveLost.length - naiveLostToThrottling} otherwise`
          : ''),
      callsOf(naive.value.calls),
      throttledOf(naive.value.calls),
      bindingCalls(naive.value.calls),
    ],
    [
      String(n),
      `sequential script (${seqKeys.length} keys measured, × ${n / seqKeys.length})`,
      formatMs(seqMs),
      `${seqKeys.length - seqLost.length}/${seqKeys.length} done; ${formatMs(seqPerKeyMs)} a key`,
      callsOf(seq.value.calls),
      throttledOf(seq.value.calls),
      bindingCalls(seq.value.calls),
    ],
  ];
  const quotaRows: Table['rows'] = fleetUse
    .filter((u) => u.boundSeconds > 0.05 * binding.boundSeconds)
    .map((u) => [
      String(n),
      u.quota,
      `${u.perSecond}/s`,
      (u.admitted / n).toFixed(1),
      u.admitted,
      u.throttled,
      formatMs(u.boundSeconds * 1000),
    ]);

  const figures: Figure[] = [
    {
      benchmark: 'a',
      name: `fleet ÷ quota bound, N = ${n}`,
      ratio: ratio(fleetMs, boundMs),
      goal: { max: 1.5 },
    },
    {
      benchmark: 'a',
      name: `sequential script ÷ fleet, N = ${n}`,
      ratio: ratio(seqMs, fleetMs),
      goal: { min: 10 },
    },
    {
      benchmark: 'a',
      name: `fleet ÷ naive parallel script, N = ${n}`,
      ratio: ratio(fleetMs, naiveMs),
      goal: { max: 1.2 },
    },
    {
      benchmark: 'a',
      name: `keys lost to throttling ÷ N, naive parallel, N = ${n}`,
      ratio: naiveLostToThrottling / n,
    },
  ];

  // The world: each key changed once, each child completed, its projects archived once and replaced.
  const projects = await world.projects();
  const archivedCalls = sum(
    fleetCalls,
    (x) => x.calls - x.throttled,
    (a) => a.endsWith('POST /v1/organization/projects/*/archive'),
  );
  const archived = fleetKeys
    .flatMap((k) => k.openai.projects)
    .filter((p) => projects.find((q) => q.id === p.id)?.status === 'archived').length;
  const ended = await inBatches(
    status.children.filter((c) => c.runId),
    10,
    (c) => world.client.workflow.getHandle(c.workflowId, c.runId).result() as Promise<RunStatus>,
  );
  const replacements = ended.map(
    (s) =>
      projects.filter((p) => p.externalKeyId === s.replacement?.externalKeyId && p.status === 'active')
        .length,
  );
  const checks: Check[] = [
    changedOnce(world.motoRecording, fleetKeys),
    {
      what: `every fleet child completed (N = ${n}): the fleet lost nothing to throttling`,
      ok: status.endState === 'completed' && completed === n,
      detail: `fleet ${status.endState}: ${status.endReason ?? ''}; children completed ${completed}/${n}${
        completed < n
          ? `; others: ${status.children
              .filter((c) => c.endState !== 'completed')
              .map((c) => `${c.endState ?? c.stage} (${c.reason ?? ''})`)
              .slice(0, 3)
              .join('; ')}`
          : ''
      }`,
    },
    {
      what: `the twin: the fleet's ${2 * n} projects archived, each archived once, each child's replacement holds 2 projects (N = ${n})`,
      ok: archived === 2 * n && archivedCalls === 2 * n && replacements.every((r) => r === 2),
      detail: `${archived}/${2 * n} archived; archive calls answered ${archivedCalls}; replacement projects per child: ${[
        ...new Set(replacements),
      ].join('/')}`,
    },
    {
      ...changedOnce(world.motoRecording, seqKeys),
      what: `PutKeyPolicy per key of the sequential script, ${seqKeys.length} keys (the peer is sound)`,
    },
  ];
  return { rows, quotaRows, figures, checks, cpu: [fleet.cpu, naive.cpu, seq.cpu] };
}

export const fleetThroughput: Benchmark = {
  id: 'a',
  title: 'fleet of N keys through the quota layer vs scripts and the quota bound',
  // None seeded for it up front: each size seeds an organisation of its own (oneSize).
  keysNeeded: () => 0,
  async run(ctx) {
    const results: SizeResult[] = [];
    for (const n of sizes(ctx.quick)) results.push(await oneSize(ctx, n));
    const figures = results.flatMap((r) => r.figures);
    const scale = quotaScale(ctx.quick);
    const table: Table = {
      title: `Fleet revocation (key-policy-deny, concurrency ${concurrency}) through the quota layer at the sandbox's rates × ${scale}, cache wait ${manyRunsSettings.cacheWaitSeconds} s`,
      columns: ['N', 'who', 'time', 'outcome', 'calls', 'throttled answers', 'binding-quota calls answered'],
      rows: results.flatMap((r) => r.rows),
      notes: [
        figures.map((f) => `${f.name}: ${formatRatio(f.ratio)}`).join('; ') + '.',
        'The peers (bench/peers/) make the runbook’s calls with the SDKs’ default retries and top each read up to what a fleet child made of it per key; they wait out the same shortened key cache per key. ' +
          'The sequential script is linear in the keys: it runs on a sample and its time is scaled to N. ' +
          `Sequential ÷ fleet is about (cache wait + a key's calls) ÷ (the fleet's time a key): with OpenAI's real one-hour cache wait the sequential script would take an hour a key.`,
      ],
    };
    const quotas: Table = {
      title:
        'The fleet’s calls per quota (the binding one first): answered calls ÷ rate is the least time they take',
      columns: ['N', 'quota', 'rate', 'calls a key', 'calls answered', 'throttled', 'bound'],
      rows: results.flatMap((r) => r.quotaRows),
    };
    return {
      id: 'a',
      title: this.title,
      tables: [table, quotas, ...results.flatMap((r) => r.cpu)],
      figures,
      checks: results.flatMap((r) => r.checks),
    };
  },
};
