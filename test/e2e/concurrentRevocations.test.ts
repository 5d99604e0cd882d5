// Four revocations at once in one organisation — two AWS keys and two Cloud KMS keys, each with its own
// access, registration and projects — every one asked to provision a replacement (issue "Two runs at
// once"). Run ids are UUIDv7: runs started within the same ~65 s share their first 8 hex digits, and the
// replacement's names were derived from them. So these tests read the world the runs leave behind (the
// twin's registrations and projects, moto's keys and roles, the Cloud KMS fake's keys), not the runs'
// records: each run's new key registered once and for itself, its role naming only that key, its new
// projects bound to that registration. In process (two orders of the archive gates) and through `ekm`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import type { WorkflowHandle } from '@temporalio/client';
import { decodePolicyText } from '../../providers/aws/activities/policyEdits';
import { workflowIdTag } from '../../providers/aws/activities/replacementKey';
import { keyWorkflowId } from '../../common/workflowIds';
import { type RevokeKeyInput } from '../../providers/requests';
import { keyOf } from '../../providers/runSubject';
import { cryptoKeyName } from '../../sandbox/openai/gcp/registration';
import type { Project, RegisteredExternalKey } from '../../sandbox/openai/state';
import { revokeKey } from '../../workflows/revokeKey';
import { signersFor } from '../fixtures/approverKeys';
import { cliRunOf, ok, revokeFlagsFor, runCli, signingKeyFile } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  awsRevokeRequest,
  gcpRevokeRequest,
  requester,
  startSharedRevocationWorld,
  vote,
  waitForGate,
  waitForStatus,
  type SharedRevocationWorld,
} from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import { call } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

/** What a revocation run ends with: its record, of either cloud. */
type RunStatus = Awaited<ReturnType<typeof revokeKey>>;

const ttlSeconds = 2;
const [alice, bob] = approvers as [string, string];

/** A UUIDv7 begins with its Unix time in ms: the first 8 hex digits change every 2^16 ms. */
const runIdWindowMs = 65_536;

/** Waits, when fewer than `marginMs` are left of the current window, so runs started next share a prefix. */
async function withinOneRunIdWindow(marginMs: number): Promise<void> {
  const left = runIdWindowMs - (Date.now() % runIdWindowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** The four revocations, the clouds interleaved: a run that adopts the one before's registration crosses clouds. */
function requestsOf(w: SharedRevocationWorld): RevokeKeyInput[] {
  const gcp = w.gcpKeys.map((k) => gcpRevokeRequest(k, 'remove-binding'));
  return w.aws.flatMap((demo, i) => [awsRevokeRequest(demo, 'key-policy-deny'), gcp[i]!]);
}

interface EndedRun {
  request: RevokeKeyInput;
  workflowId: string;
  runId: string;
  status: RunStatus;
}

/** The harness's own premise: the runs started close enough together to share their run-id prefix. */
function assertOneRunIdPrefix(runs: EndedRun[]): void {
  const prefixes = new Set(runs.map((r) => r.runId.slice(0, 8)));
  assert.equal(
    prefixes.size,
    1,
    `the runs were started within one ${runIdWindowMs} ms window, so their UUIDv7 run ids should share their first 8 hex digits: ${runs.map((r) => r.runId).join(', ')}`,
  );
}

// --- The world the runs leave behind ------------------------------------------------------------------------

type Listed = RegisteredExternalKey & { api_project_ids: string[] };

async function listAtTwin<T>(w: SharedRevocationWorld, listPath: string): Promise<T[]> {
  const answer = await call(w.twin.url, 'GET', listPath, w.adminKey);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const page = answer.body as { data: T[]; has_more: boolean };
  assert.ok(!page.has_more, `${listPath}: more than one page`);
  return page.data;
}

/** The key a registration names, in its cloud's spelling (a KMS key ARN, a Cloud KMS key name). */
const registeredKey = (k: RegisteredExternalKey) => (k.type === 'gcp' ? cryptoKeyName(k) : k.kms_arn);

/**
 * Every key the runs made, found in the clouds: in moto by the run id in its ekm:workflow-id tag; in the
 * fake, any key in a revoked key's ring besides the revoked key (each key of this world has a ring of its own).
 */
async function keysMadeByRuns(w: SharedRevocationWorld, runs: EndedRun[]): Promise<Map<string, EndedRun>> {
  const made = new Map<string, EndedRun>();
  let marker: string | undefined;
  do {
    const page = await w.kms.send(new ListKeysCommand({ Marker: marker }));
    for (const key of page.Keys ?? []) {
      const { Tags } = await w.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId! }));
      const tag = Tags?.find((t) => t.TagKey === workflowIdTag)?.TagValue ?? '';
      const run = runs.find((r) => tag.includes(r.runId));
      if (run) made.set(key.KeyArn!, run);
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  for (const run of runs) {
    if (run.request.provider !== 'gcp') continue;
    const oldKey = run.request.keyName;
    const [keys] = await w.gcp.kms.listCryptoKeys({ parent: oldKey.replace(/\/cryptoKeys\/[^/]+$/, '') });
    for (const key of keys) if (key.name && key.name !== oldKey) made.set(key.name, run);
  }
  return made;
}

/** The KMS key ARNs a role's inline policies let its holder use. */
async function keysRoleMayUse(w: SharedRevocationWorld, roleArn: string): Promise<string[]> {
  const RoleName = roleArn.split('/').pop()!;
  const { PolicyNames } = await w.iam.send(new ListRolePoliciesCommand({ RoleName }));
  const resources = new Set<string>();
  for (const PolicyName of PolicyNames ?? []) {
    const { PolicyDocument } = await w.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }));
    const policy = JSON.parse(decodePolicyText(PolicyDocument ?? '{}')) as {
      Statement?: { Action?: string | string[]; Resource?: string | string[] }[];
    };
    for (const statement of policy.Statement ?? []) {
      const actions = ([] as string[]).concat(statement.Action ?? []);
      if (actions.some((a) => a.startsWith('kms:')))
        ([] as string[]).concat(statement.Resource ?? []).forEach((r) => resources.add(r));
    }
  }
  return [...resources].sort();
}

/**
 * One replacement per run, each its own, read from the world. A run's record is used only to learn which
 * key, role, external key and projects the run says it made; each is then looked up where it lives.
 */
async function assertOneReplacementPerRun(w: SharedRevocationWorld, runs: EndedRun[]): Promise<void> {
  const problems: string[] = [];
  const registrations = await listAtTwin<Listed>(w, '/v1/organization/external_keys?limit=100');
  const projects = await listAtTwin<Project>(w, '/v1/organization/projects?include_archived=true&limit=100');
  const made = await keysMadeByRuns(w, runs);
  const labelOf = (run: EndedRun) => `run ${runs.indexOf(run) + 1} (${run.request.provider}, ${run.runId})`;
  const externalKeysUsed = new Map<string, string[]>();
  const rolesUsed = new Map<string, string[]>();

  for (const run of runs) {
    const label = labelOf(run);
    if (run.status.endState !== 'completed')
      problems.push(`${label} ended ${run.status.endState}: ${run.status.endReason}`);
    const says = run.status.replacement ?? {};
    const newKey = says.keyArn ?? says.keyName;
    if (!newKey) {
      problems.push(`${label} names no replacement key`);
      continue;
    }
    if (made.get(newKey) !== run)
      problems.push(`${label} names ${newKey}, a key the cloud does not show it made`);

    // Its new key is registered once, and the external key the run uses is that registration.
    const own = registrations.filter((k) => registeredKey(k) === newKey);
    if (own.length !== 1)
      problems.push(
        `${label}: its new key ${newKey} has ${own.length} registrations at OpenAI${own.length ? ` (${own.map((k) => k.id).join(', ')})` : ''}, not one`,
      );
    const used = registrations.find((k) => k.id === says.externalKeyId);
    if (!used) problems.push(`${label} names external key ${says.externalKeyId}, which OpenAI does not list`);
    else {
      externalKeysUsed.set(used.id, [...(externalKeysUsed.get(used.id) ?? []), label]);
      if (registeredKey(used) !== newKey)
        problems.push(
          `${label} uses external key ${used.id} "${used.name}" (${used.type}), registered for ${registeredKey(used)}, not for its new key ${newKey}`,
        );
    }
    const registration = own.length === 1 ? own[0]! : undefined;

    // AWS: the role OpenAI assumes for the new key lets it use that key and no other.
    if (run.request.provider !== 'gcp') {
      const roleArn = registration?.type === 'aws' ? registration.role_arn : says.roleArn;
      if (roleArn) {
        rolesUsed.set(roleArn, [...(rolesUsed.get(roleArn) ?? []), label]);
        if (says.roleArn !== roleArn)
          problems.push(`${label} names role ${says.roleArn}, but its new key is registered with ${roleArn}`);
        const mayUse = await keysRoleMayUse(w, roleArn);
        if (mayUse.length !== 1 || mayUse[0] !== newKey)
          problems.push(
            `${label}: its role ${roleArn} lets OpenAI use ${mayUse.join(', ') || 'no key'}, not only its new key ${newKey}`,
          );
      } else problems.push(`${label} names no role for its new key`);
    }

    // Every new project is bound to the registration of this run's new key.
    const replaced = run.status.steps.find((s) => s.step === 'replace')?.data as
      { projects?: { id: string }[] } | undefined;
    const newProjects = (replaced?.projects ?? []).map((p) => projects.find((q) => q.id === p.id));
    if (newProjects.length !== (run.request.projectIds ?? []).length || newProjects.some((p) => !p))
      problems.push(
        `${label} made ${newProjects.filter(Boolean).length} new projects OpenAI lists, for ${run.request.projectIds?.length} archived`,
      );
    const elsewhere = newProjects.filter((p) => p && p.external_key_id !== registration?.id);
    if (elsewhere.length)
      problems.push(
        `${label}: its new projects ${elsewhere.map((p) => `${p!.id} (bound to ${p!.external_key_id})`).join(', ')} are not bound to the registration of its new key (${registration?.id ?? 'none'})`,
      );

    // And OpenAI can use that registration now.
    if (registration) {
      const validate = await call(
        w.twin.url,
        'POST',
        `/v1/organization/external_keys/${registration.id}/validate`,
        w.adminKey,
      );
      if (validate.status !== 200)
        problems.push(
          `${label}: OpenAI's validate of ${registration.id} answers ${validate.status} ${JSON.stringify(validate.body)}`,
        );
    }
  }

  for (const [id, users] of externalKeysUsed)
    if (users.length > 1) problems.push(`${users.join(' and ')} share external key ${id}`);
  for (const [role, users] of rolesUsed)
    if (users.length > 1) problems.push(`${users.join(' and ')} share role ${role}`);
  // A key a run made but does not name is one nobody will ever register or clean up.
  const named = new Set(runs.map((r) => r.status.replacement?.keyArn ?? r.status.replacement?.keyName));
  for (const [key, run] of made)
    if (!named.has(key) && !registrations.some((k) => registeredKey(k) === key))
      problems.push(`${key}, made by ${labelOf(run)}, is named by no run and registered nowhere`);

  if (problems.length)
    assert.fail(
      `after ${runs.length} revocations at once, the world is not one replacement per run:\n  - ${problems.join('\n  - ')}`,
    );
}

// --- The runs -----------------------------------------------------------------------------------------------

/** Waits for the run's end; a task for a person (an escalation, none expected) fails the test at once. */
async function runToEnd(handle: WorkflowHandle): Promise<RunStatus> {
  const ended = await waitForStatus(
    handle,
    (s) => {
      if (s.openTask) throw new Error(`${handle.workflowId} asks for a task: ${JSON.stringify(s.openTask)}`);
      return s.endState !== undefined;
    },
    `the end of ${handle.workflowId}`,
    120_000,
  );
  // The record as the run returned it (the status query's, should the run have failed instead).
  return (handle as WorkflowHandle<typeof revokeKey>).result().catch(() => ended as RunStatus);
}

const orders: { name: string; approveArchives(handles: WorkflowHandle[]): Promise<RunStatus[]> }[] = [
  {
    name: 'every archive gate approved at once',
    async approveArchives(handles) {
      await Promise.all(handles.map((h) => waitForGate(h, 'archive')));
      await Promise.all(handles.map((h) => vote(h, 'archive', bob)));
      return Promise.all(handles.map(runToEnd));
    },
  },
  {
    // The order in which a run finds the one before's registration under the shared name every time.
    name: 'one archive gate after another, each once the run before has ended',
    async approveArchives(handles) {
      const ended: RunStatus[] = [];
      for (const handle of handles) {
        await vote(handle, 'archive', bob);
        ended.push(await runToEnd(handle));
      }
      return ended;
    },
  },
];

describe('four revocations at once: two AWS keys and two Cloud KMS keys, one worker', function () {
  let world: SharedRevocationWorld | undefined;
  let keyDir: string | undefined;
  afterEach(async () => {
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    keyDir = undefined;
    await world?.close();
    world = undefined;
  });

  for (const order of orders) {
    it(`${order.name}: four replacements, each registered for its own new key`, async function () {
      const w = (world = await startSharedRevocationWorld({ aws: 2, gcp: 2, cacheTtlSeconds: ttlSeconds }));
      const requests = requestsOf(w);
      const ended = await withWorker(
        await devEnvironment(),
        async ({ client, taskQueue }) => {
          await withinOneRunIdWindow(5_000);
          const handles = await Promise.all(
            requests.map((r) =>
              client.workflow.start(revokeKey, {
                taskQueue,
                workflowId: keyWorkflowId(keyOf(r)),
                args: [r],
              }),
            ),
          );
          await Promise.all(handles.map((h) => vote(h, 'revoke', alice)));
          const statuses = await order.approveArchives(handles);
          return handles.map((h, i) => ({
            request: requests[i]!,
            workflowId: h.workflowId,
            runId: h.firstExecutionRunId,
            status: statuses[i]!,
          }));
        },
        w.worker(),
      );
      await assertOneReplacementPerRun(w, ended);
      assertOneRunIdPrefix(ended);
    });
  }

  it('the same through the CLI binary: signed starts, `ekm approve`, one archive gate after another', async function () {
    this.timeout(300_000);
    const w = (world = await startSharedRevocationWorld({ aws: 2, gcp: 2, cacheTtlSeconds: ttlSeconds }));
    const requests = requestsOf(w);
    const keys = (keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-concurrent-keys-')));
    const keyFile = (who: string) => signingKeyFile(keys, who);
    const worker = w.worker();
    // The requester signs the starts, so the worker knows the requester's key too.
    worker.config = {
      ...worker.config,
      approvals: { ...worker.config!.approvals, signers: signersFor([...approvers, requester]) },
    };
    const env = {
      TEMPORAL_ADDRESS: (await devServer()).address,
      TEMPORAL_NAMESPACE: 'default',
      EKM_USER: requester,
    };
    const cli = (args: string[]) => runCli(args, env);
    const ended = await withWorker(
      await devEnvironment(),
      async ({ taskQueue }) => {
        // Four `ekm` processes start in parallel; each takes a few seconds on a busy two-core machine.
        await withinOneRunIdWindow(20_000);
        const started = await Promise.all(
          requests.map(async (r) => {
            const flags = revokeFlagsFor(r, taskQueue, { replace: true });
            const run = await cli([
              'revoke',
              'start',
              ...flags,
              '--signing-key',
              keyFile(requester),
              '--json',
            ]);
            return JSON.parse(ok(run, `ekm revoke start ${keyOf(r)}`).stdout) as {
              workflowId: string;
              runId: string;
            };
          }),
        );
        const runs = started.map((s) => cliRunOf(cli, s.workflowId));
        const approve = async (i: number, kind: string, who: string) => {
          const gate = await runs[i]!.gateOpen(kind);
          const flags = ['--as', who, '--plan', gate.planHash.slice(0, 12), '--signing-key', keyFile(who)];
          ok(await cli(['approve', started[i]!.workflowId, ...flags]), `ekm approve (${kind}) run ${i + 1}`);
        };
        await Promise.all(runs.map((_, i) => approve(i, 'revoke', alice)));
        const statuses: RunStatus[] = [];
        for (const [i, run] of runs.entries()) {
          await approve(i, 'archive', bob);
          statuses.push(await run.watchToEnd());
        }
        return started.map((s, i) => ({
          request: requests[i]!,
          workflowId: s.workflowId,
          runId: s.runId,
          status: statuses[i]!,
        }));
      },
      worker,
    );
    await assertOneReplacementPerRun(w, ended);
    assertOneRunIdPrefix(ended);
  });
});
