// What a completed revocation costs on Temporal Cloud, per cloud: the whole runbook (revoke, archive, a
// replacement, the old key's deletion) on the dev server, counted from the run's history by the rule of
// docs/actions.md (bench/actions.ts) — a count, never a duration — against the figure the same run cost
// before the runs were made cheaper. And the cheaper run still makes each change exactly once, as moto,
// the Cloud KMS fake and the twin show.
import assert from 'node:assert/strict';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { runCost, type RunCost } from '../../bench/actions';
import { runTag } from '../../common/runTag';
import { watchWorkflowId } from '../../common/watchdog';
import { keyWorkflowId } from '../../common/workflowIds';
import { workflowIdTag } from '../../providers/aws/activities/replacementKey';
import type { RunStatus } from '../../providers/runStatus';
import { keyOf } from '../../providers/runSubject';
import { cryptoKeyName } from '../../sandbox/openai/gcp/registration';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import type { GcpWorld } from '../fixtures/gcpKms';
import { recordForReplay } from '../fixtures/replay';
import { approvers, revocationScenarios, vote, type RevocationWorld } from '../fixtures/revoke';
import type { TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

/**
 * A completed revocation with its replacement and deletion, as the code before `cheaper-runs` ran it
 * (measured by this test on commit 22ca7ac; docs/actions.md has the breakdown).
 */
export const before: Record<'aws' | 'gcp', Pick<RunCost, 'actions' | 'events' | 'activities'>> = {
  aws: { actions: 105, events: 463, activities: 61 },
  gcp: { actions: 95, events: 411, activities: 55 },
};

/** Issue 18's goal: at least 40% fewer actions per completed revocation. */
const goal = 0.6;

const methods = { aws: 'key-policy-deny', gcp: 'remove-binding' } as const;

type Made = RunStatus['replacement'] & { keyName?: string };

/** The world's own account of what the run made: each thing once, and the old key on its way out. */
async function assertMadeOnce(w: RevocationWorld, made: Made, runId: string, oldKey: string) {
  const registrations = w.twin.store.data.externalKeys.filter((k) =>
    k.type === 'gcp' ? cryptoKeyName(k) === made.keyName : k.kms_arn === made.keyArn,
  );
  assert.equal(registrations.length, 1, 'one registration of the new key');
  assert.equal(registrations[0]!.id, made.externalKeyId);
  const projects = w.twin.store.data.projects.filter((p) => p.external_key_id === made.externalKeyId);
  assert.equal(projects.length, w.projects.length, 'one new project per archived one');
  for (const p of w.projects)
    assert.equal(w.twin.store.data.projects.find((q) => q.id === p.id)?.status, 'archived');

  if ('aws' in w) {
    const { kms, iam } = (w as RevocationWorld & { aws: TwinWorld }).aws;
    const keys: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListKeysCommand({ Marker: marker }));
      for (const key of page.Keys ?? []) {
        const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId! }));
        if (Tags?.find((t) => t.TagKey === workflowIdTag)?.TagValue?.endsWith(`/${runId}`))
          keys.push(key.KeyArn!);
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    assert.deepEqual(keys, [made.keyArn], 'one replacement key in moto');
    // Every page: moto holds the roles of every suite before this one, past ListRoles' first page.
    const allRoles = [];
    let rolesMarker: string | undefined;
    do {
      const page = await iam.send(new ListRolesCommand({ Marker: rolesMarker }));
      allRoles.push(...(page.Roles ?? []));
      rolesMarker = page.IsTruncated ? page.Marker : undefined;
    } while (rolesMarker);
    const roles = allRoles.filter((r) => r.RoleName?.startsWith(`ekm-openai-${runTag(runId)}`));
    assert.deepEqual(
      roles.map((r) => r.Arn),
      [made.roleArn],
      'one replacement role in moto',
    );
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: oldKey }));
    assert.equal(KeyMetadata?.KeyState, 'PendingDeletion');
  } else {
    const gcp = (w as RevocationWorld & { gcp: GcpWorld }).gcp;
    const [keys] = await gcp.kms.listCryptoKeys({ parent: oldKey.replace(/\/cryptoKeys\/[^/]+$/, '') });
    assert.deepEqual(
      keys.map((k) => k.name).filter((n) => n !== oldKey),
      [made.keyName],
      'one replacement key in the fake',
    );
    const [versions] = await gcp.kms.listCryptoKeyVersions({ parent: oldKey });
    assert.ok(versions.every((v) => v.state === 'DESTROY_SCHEDULED' || v.state === 'DESTROYED'));
  }
}

for (const scenario of revocationScenarios) {
  describe(`the cost of a completed revocation (${scenario.provider})`, function () {
    let world: RevocationWorld | undefined;
    afterEach(async () => {
      await world?.close();
      world = undefined;
    });

    it(`at most ${goal}× the actions of the code before, every change made once`, async function () {
      const method = methods[scenario.provider];
      const w = (world = await scenario.world(method, 2));
      const request = { ...scenario.request(w, method), deleteAfterDays: 7 };
      const key = keyOf(request);
      const env = await devEnvironment();
      const { status, cost, runId } = await withWorker(
        env,
        async ({ client, taskQueue }) => {
          const handle = await client.workflow.start(revokeKey, {
            taskQueue,
            workflowId: keyWorkflowId(key),
            args: [request],
          });
          await vote(handle, 'revoke', approvers[0]!);
          await vote(handle, 'archive', approvers[1]!);
          await vote(handle, 'deletion', approvers[0]!);
          const status = (await handle.result()) as RunStatus;
          await client.workflow
            .getHandle(watchWorkflowId(key))
            .terminate('test cleanup')
            .catch(() => undefined);
          await recordForReplay(handle, `revokeKey-cheaper-runs-${scenario.provider}`);
          const { runId } = await handle.describe();
          return { status, cost: runCost(await handle.fetchHistory()), runId };
        },
        w.worker(),
      );
      assert.equal(status.endState, 'completed', status.endReason);
      console.log(
        `      ${scenario.provider}: ${cost.actions} actions, ${cost.events} events, ${cost.activities} activities (before: ${before[scenario.provider].actions}, ${before[scenario.provider].events}, ${before[scenario.provider].activities}) ${JSON.stringify(cost.byKind)}`,
      );
      assert.ok(
        cost.actions <= goal * before[scenario.provider].actions,
        `${cost.actions} actions > ${goal} × ${before[scenario.provider].actions}`,
      );
      await assertMadeOnce(w, status.replacement as Made, runId, key);
    });
  });
}
