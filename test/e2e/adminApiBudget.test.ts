// OpenAI's Admin API under a quota shared by many runs (issue "Many keys at once", bench (a) at N = 200):
// every call the worker makes waits for its `openaiAdminCalls` budget, so calls queue in the worker instead
// of being refused by OpenAI and sent again; and a revocation's baseline, read at once in one activity, may
// take longer than a single read's 30 s without being timed out and read all over again.
import assert from 'node:assert/strict';
import { createAdminApi } from '../../activities/openai/adminApi';
import { readBlastRadiusActivity } from '../../activities/openai/blastRadius';
import { createQuotaLimiter } from '../../activities/quotas/limiters';
import { keyWorkflowId } from '../../common/workflowIds';
import { QuotaBook, type ActionCount } from '../../sandbox/quota/quotaBook';
import { quotasOf } from '../../worker/quotas';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsRevokeRequest, sandboxWorker, vote, waitForGate } from '../fixtures/revoke';
import {
  projectListing,
  registerAnotherKey,
  registrationListing,
  slowRegistrationListing,
  startTwinWorld,
  type TwinWorld,
} from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

function adminCalls(book: QuotaBook): ActionCount {
  const actions = Object.entries(book.calls().actions).filter(([a]) => a.startsWith('openai:admin '));
  return actions.reduce(
    (sum, [, c]) => ({ calls: sum.calls + c.calls, throttled: sum.throttled + c.throttled }),
    { calls: 0, throttled: 0 },
  );
}

describe("OpenAI's Admin API under a shared quota", function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('every call waits for the worker’s openaiAdminCalls budget: none is refused by the quota', async function () {
    // The twin's Admin API at 2 calls a second (the published guess of 5/s × 0.4); the worker's budget
    // below it, with headroom, as docs/quotas.md asks.
    const book = new QuotaBook({ enabled: false, scale: 0.4 });
    const w = (world = await startTwinWorld({ quota: book }));
    // Six workers' reads (a worker shares one listing between its own reads: test/e2e/sharedListing).
    const radius = (beforeCall?: () => Promise<void>) =>
      readBlastRadiusActivity(
        createAdminApi({ baseUrl: `${w.twin.url}/v1`, adminKey: () => w.demo.openai.adminKey, beforeCall }),
      );
    const sixAtOnce = async (beforeCall?: () => Promise<void>) => {
      book.configure({ enabled: true });
      book.reset();
      const radii = await Promise.all(
        Array.from({ length: 6 }, () =>
          radius(beforeCall)({ kmsArn: w.demo.aws.keyArn, roleArn: w.demo.aws.roleArn }),
        ),
      );
      book.configure({ enabled: false });
      // Each read found the demo's registration and both its projects, whatever the quota did.
      for (const r of radii) {
        assert.deepEqual(
          r.externalKeys.map((k) => k.id),
          [w.demo.openai.externalKeyId],
        );
        assert.equal(r.projects.length, w.demo.openai.projects.length);
      }
      return adminCalls(book);
    };

    // Without a budget, the burst meets the quota: OpenAI refuses calls (429) and they are sent again.
    const unbudgeted = await sixAtOnce();
    assert.ok(unbudgeted.throttled > 0, `expected 429s without a budget: ${JSON.stringify(unbudgeted)}`);

    const limiter = createQuotaLimiter(quotasOf({ quotas: { openaiAdminCalls: 1.5 } }));
    const budgeted = await sixAtOnce(() => limiter.take('openaiAdminCalls'));
    assert.equal(budgeted.throttled, 0, `no call refused within the budget: ${JSON.stringify(budgeted)}`);
    // Every read listed each list once: six reads, two lists (one page each), nothing sent twice.
    assert.equal(budgeted.calls, 12);
  });

  it('a baseline read slower than 30 s is waited for, not timed out and read again', async function () {
    this.timeout(180_000);
    const book = new QuotaBook({ enabled: false });
    const w = (world = await startTwinWorld({ quota: book, cacheTtlSeconds: 2 }));
    // An organisation with 20 other registrations: the blast radius lists two pages of 20. Each page answers
    // after 20 s, as pages do behind 50 other runs' listings under the organisation's quota: the read takes
    // 40 s, every call in it well within its own 30 s.
    for (let i = 0; i < 20; i++)
      registerAnotherKey(w, `another team's key ${i}`, `arn:aws:iam::210987654321:role/other-${i}`);
    await slowRegistrationListing(w, 20_000);
    const request = awsRevokeRequest(w.demo, 'key-policy-deny');
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        await waitForGate(handle, 'revoke');
        const counts = book.calls().actions;
        // The slow read was waited for: each page of the registrations was listed once. (With 30 s for the
        // whole read, every attempt timed out on its second page and the next one listed them all again.)
        assert.deepEqual(counts[registrationListing], { calls: 2, throttled: 0 });
        assert.deepEqual(counts[projectListing], { calls: 1, throttled: 0 });
        await vote(handle, 'revoke', approvers[0]!, 'reject');
        assert.equal((await handle.result()).endState, 'rejected');
      },
      sandboxWorker(w),
    );
  });
});
