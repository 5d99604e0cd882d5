// The replacement's names taken by something the run cannot prove it made: someone who can read the run's
// ids plants an external key, a project, a tagged KMS key, an IAM role or a Cloud KMS key under the name the
// run will give, while the run waits at the archive gate. The run stops for a person (`status.openStop`,
// EkmAwaiting=resolution), who adopts what was found, creates again under `<name>-2`, or abandons — through
// the `resolve` Update (signed, like votes) or `ekm resolve`. Each case is checked in the world: the twin's
// Admin API listings, moto's IAM and KMS, the Cloud KMS fake; and in the evidence record an auditor reads.
// On the dev server with an in-process worker.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetRoleCommand, GetRolePolicyCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, DescribeKeyCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { verifyChain } from '../../activities/evidence/verify';
import {
  ownerProofTag,
  replacementKeyPolicyName,
  stepTag,
  workflowIdTag,
} from '../../providers/aws/activities/replacementKey';
import { createdByLabel } from '../../providers/gcp/activities/replacementKey';
import { decodePolicyText } from '../../providers/aws/activities/policyEdits';
import {
  resolutionStatement,
  type Resolution,
  type ResolutionChoice,
  type StopView,
} from '../../common/resolution';
import { keyWorkflowId } from '../../common/workflowIds';
import { type AwsRevocationMethod, type AwsRevokeKeyInput } from '../../providers/aws/request';
import { type GcpRevokeKeyInput } from '../../providers/gcp/request';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { EkmAwaiting } from '../../common/searchAttributes';
import { openAiVendorRoleArn } from '../../sandbox/openai/aws/provider';
import { resolveUpdate, statusQuery } from '../../workflows/revoke/messages';
import { runTag } from '../../workflows/revoke/provision';
import { revokeKey } from '../../workflows/revokeKey';
import { approverKey, signatureBy } from '../fixtures/approverKeys';
import { runCli, ok } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence, sandboxWorkerKey } from '../fixtures/evidence';
import {
  approvers,
  awsScenario,
  requester,
  sandboxWorker,
  startGcpRevocationWorld,
  gcpRevocation,
  vote,
  waitForGate,
  waitForStatus,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import { call, type TwinWorld } from '../fixtures/twin';
import { withWorker, type WorkerContext } from '../fixtures/worker';
import { recordForReplay } from '../fixtures/replay';

type Status = RunStatus<RunSubject>;

interface ExternalKeyListing {
  id: string;
  name: string;
  type: string;
  kms_arn?: string;
  role_arn?: string;
  kms_key_name?: string;
  kms_key_ring_name?: string;
  api_project_ids: string[];
}

interface ProjectListing {
  id: string;
  name: string;
  status: string;
  external_key_id: string | null;
}

/** The twin's Admin API listings, as OpenAI's customers see them. */
async function listing<T>(twin: { url: string }, adminKey: string, what: string): Promise<T[]> {
  const answer = await call(
    twin.url,
    'GET',
    `/v1/organization/${what}?limit=100${what === 'projects' ? '&include_archived=true' : ''}`,
    adminKey,
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const page = answer.body as { data: T[]; has_more: boolean };
  assert.equal(page.has_more, false, `more than 100 ${what}`);
  return page.data;
}

const externalKeys = (twin: { url: string }, adminKey: string) =>
  listing<ExternalKeyListing>(twin, adminKey, 'external_keys');
const projects = (twin: { url: string }, adminKey: string) =>
  listing<ProjectListing>(twin, adminKey, 'projects');

async function adminPost<T>(
  twin: { url: string },
  adminKey: string,
  path: string,
  body: unknown,
): Promise<T> {
  const answer = await call(twin.url, 'POST', path, adminKey, body);
  assert.ok(answer.status < 300, `POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body as T;
}

/** Settles a run and reads its final status (runs that end archived answer the query as well). */
async function ended(handle: WorkflowHandle): Promise<Status> {
  await handle.result().catch(() => undefined);
  return (await handle.query(statusQuery)) as unknown as Status;
}

async function waitForStop(handle: WorkflowHandle, step?: RegExp): Promise<StopView> {
  const status = await waitForStatus(
    handle,
    (s) => !!s.openStop && (!step || step.test(s.openStop.step)),
    `a stop for a person${step ? ` at ${step.source}` : ''}`,
    90_000,
  );
  return status.openStop!;
}

/** A resolution signed by `approver` over this run, stop, hash and choice, as `ekm resolve` signs it. */
function signedResolution(
  run: { workflowId: string; runId: string },
  stop: Pick<StopView, 'stopId' | 'stopHash'>,
  approver: string,
  choice: ResolutionChoice,
  resource?: string,
): Resolution {
  const unsigned: Resolution = {
    stopId: stop.stopId,
    stopHash: stop.stopHash,
    choice,
    ...(resource ? { resource } : {}),
    approver,
  };
  const signature = signatureBy(approver, (expiresAt) => resolutionStatement(run, unsigned, expiresAt));
  return { ...unsigned, signature };
}

async function resolve(
  handle: WorkflowHandle,
  stop: StopView,
  approver: string,
  choice: ResolutionChoice,
  resource?: string,
): Promise<StopView> {
  const { runId } = (await handle.query(statusQuery)) as unknown as Status;
  return handle.executeUpdate(resolveUpdate, {
    args: [signedResolution({ workflowId: handle.workflowId, runId }, stop, approver, choice, resource)],
  });
}

/** The run's evidence folder, checked against the schema and its chain; the record. */
function evidenceOf(evidenceDir: string, status: Status): Status {
  return assertEvidence(path.join(evidenceDir, folderFor(status.workflowId), status.runId));
}

/**
 * What an auditor checks of a stop beyond evidence.json: the decision is in the signed chain (evidence.json
 * edited to say otherwise no longer verifies, the resolution's signature is checked with the votes'), and
 * evidence.md shows it.
 */
function assertStopInChainAndMarkdown(evidenceDir: string, status: Status, decision: string, by: string) {
  const folder = path.join(evidenceDir, folderFor(status.workflowId), status.runId);
  const chain = JSON.parse(fs.readFileSync(path.join(folder, 'chain.json'), 'utf8')) as {
    records: { kind: string; body: StopView }[];
  };
  const stops = chain.records.filter((r) => r.kind === 'stop');
  assert.deepEqual(
    stops.map((r) => r.body.decision),
    [decision],
  );
  const record = JSON.parse(fs.readFileSync(path.join(folder, 'evidence.json'), 'utf8')) as Status;
  const publicKey = sandboxWorkerKey(folder);
  const verdict = verifyChain(chain, { evidence: record, publicKey });
  assert.ok(verdict.ok, verdict.summary);
  // Two gates' votes and the resolution, each signed.
  assert.match(verdict.summary, /; 3 signed act\(s\) verified/);
  const edited = structuredClone(record);
  edited.stops![0]!.decision = decision === 'abandon' ? 'create-again' : 'abandon';
  const tampered = verifyChain(chain, { evidence: edited, publicKey });
  assert.equal(tampered.ok, false, 'an edited decision in evidence.json is caught');
  assert.equal(tampered.failed?.kind, 'stop');
  const markdown = fs.readFileSync(path.join(folder, 'evidence.md'), 'utf8');
  assert.match(markdown, /## Stops for a person/);
  const [choice, resource] = decision.split(' ');
  assert.ok(markdown.includes(`${choice}${resource ? ` ${resource}` : ''} by ${by} at `), markdown);
}

/** The stops a record keeps: each decided, by whom, as an auditor reads it. */
function assertDecided(record: Status, decision: string, step: RegExp, by: string): StopView {
  assert.equal(record.stops?.length, 1, JSON.stringify(record.stops));
  const stop = record.stops![0]!;
  assert.match(stop.step, step);
  assert.equal(stop.decision, decision);
  assert.ok(stop.decidedAt, 'the decision is dated');
  assert.deepEqual(
    stop.votes.map((v) => [v.approver, v.choice, v.resource ?? null, v.authenticated]),
    [[by, decision.split(' ')[0], decision.split(' ')[1] ?? null, true]],
  );
  assert.equal(record.openStop, undefined);
  return stop;
}

/** A second key and a role OpenAI may assume for it, registered with the twin under `name` (someone else's). */
async function registerOtherKey(w: TwinWorld, name: string): Promise<ExternalKeyListing> {
  const other = await awsScenario.workspaceKey(w);
  return adminPost<ExternalKeyListing>(w.twin, w.demo.openai.adminKey, '/v1/organization/external_keys', {
    type: 'aws',
    name,
    role_arn: other.roleArn,
    kms_arn: other.keyArn,
    external_id: w.demo.aws.externalId,
  });
}

async function roleExists(w: TwinWorld, roleName: string): Promise<boolean> {
  try {
    await w.iam.send(new GetRoleCommand({ RoleName: roleName }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchEntityException') return false;
    throw err;
  }
}

describe('replacement stops: a name the run gives, taken by something it cannot prove it made', function () {
  let world: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  interface AwsRun extends WorkerContext {
    w: TwinWorld;
    request: AwsRevokeKeyInput;
    handle: WorkflowHandle;
    tag: string;
    runId: string;
    evidenceDir: string;
  }

  /** An AWS revocation asking for a replacement, started and waiting at the archive gate. */
  async function awsRun<T>(
    method: AwsRevocationMethod,
    body: (ctx: AwsRun) => Promise<T>,
    options: { request?: Partial<AwsRevokeKeyInput> } = {},
  ): Promise<T> {
    const w = await awsScenario.world(method, 2);
    world = w;
    const request = { ...awsScenario.request(w, method), ...options.request };
    const worker = sandboxWorker(w);
    return withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        const runId = handle.firstExecutionRunId;
        await vote(handle, 'revoke', approvers[0]!);
        await waitForGate(handle, 'archive');
        return body({
          ...ctx,
          w,
          request,
          handle,
          runId,
          tag: runTag(runId),
          evidenceDir: worker.evidenceDir,
        });
      },
      worker,
    );
  }

  it('an external key planted under ekm-<tag>: the run stops, refuses bad resolutions, and creates again under ekm-<tag>-2', async function () {
    await awsRun('key-policy-deny', async ({ w, handle, tag, runId, evidenceDir }) => {
      const admin = w.demo.openai.adminKey;
      const planted = await registerOtherKey(w, `ekm-${tag}`);
      await vote(handle, 'archive', approvers[1]!);

      const stop = await waitForStop(handle, /^replacement external key$/);
      assert.equal(stop.name, `ekm-${tag}`);
      assert.deepEqual(
        stop.candidates.map((c) => c.id),
        [planted.id],
      );
      assert.match(stop.candidates[0]!.description, /not this run’s replacement/);
      assert.deepEqual(stop.policy.approvers, approvers);
      const described = await handle.describe();
      assert.deepEqual(described.typedSearchAttributes.get(EkmAwaiting), ['resolution']);
      // Nothing bound to the planted key, and no replacement project yet.
      const tagged = (await projects(w.twin, admin)).filter((p) => p.name.includes(tag));
      assert.deepEqual(tagged, []);
      assert.deepEqual(
        (await externalKeys(w.twin, admin)).find((k) => k.id === planted.id)?.api_project_ids,
        [],
      );

      // Refused by the Update's validator, and nothing recorded.
      const run = { workflowId: handle.workflowId, runId };
      const refused = async (resolution: Resolution, why: RegExp) =>
        assert.rejects(handle.executeUpdate(resolveUpdate, { args: [resolution] }), (err: Error) => {
          assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
          assert.match(String(err.cause?.message), why);
          return true;
        });
      await refused(signedResolution(run, stop, requester, 'create-again'), /separation of duties/);
      await refused(
        signedResolution(run, stop, 'mallory@example.com', 'create-again'),
        /may not resolve this stop/,
      );
      await refused(
        signedResolution(run, stop, approvers[0]!, 'adopt', 'extkey_not_found_here'),
        /is not among what the run found/,
      );
      await refused(
        signedResolution(run, { ...stop, stopHash: 'f'.repeat(64) }, approvers[0]!, 'create-again'),
        /the resolution is for stop hash/,
      );
      const still = (await handle.query(statusQuery)) as unknown as Status;
      assert.equal(still.openStop?.stopId, stop.stopId);
      assert.deepEqual(still.openStop?.votes, []);
      assert.equal(still.stops?.length, 1);
      assert.deepEqual(still.stops![0]!.votes, []);

      await resolve(handle, stop, approvers[0]!, 'create-again');
      const status = await ended(handle);
      assert.equal(status.endState, 'completed', status.endReason);
      await recordForReplay(handle, 'revokeKey-stopped-name-taken-created-again');

      // The world: the run's own external key under ekm-<tag>-2, registered for its new key and role, the
      // new projects bound to it; the planted one left alone with none of the run's projects.
      const keys = await externalKeys(w.twin, admin);
      const own = keys.filter((k) => k.name === `ekm-${tag}-2`);
      assert.equal(own.length, 1);
      assert.equal(own[0]!.id, status.replacement?.externalKeyId);
      assert.equal(own[0]!.kms_arn, status.replacement?.keyArn);
      assert.equal(own[0]!.role_arn, status.replacement?.roleArn);
      assert.deepEqual(
        keys.filter((k) => k.name === `ekm-${tag}`).map((k) => k.id),
        [planted.id],
      );
      assert.deepEqual(keys.find((k) => k.id === planted.id)?.api_project_ids, []);
      const all = await projects(w.twin, admin);
      const replacements = all.filter((p) => p.external_key_id === own[0]!.id);
      assert.equal(replacements.length, w.demo.openai.projects.length);
      for (const old of w.demo.openai.projects) {
        const oldName = all.find((p) => p.id === old.id)!.name;
        assert.equal(
          replacements.filter((p) => p.name === `${oldName}-${tag}-${old.id.slice(-6)}`).length,
          1,
        );
      }
      assert.ok(all.every((p) => p.external_key_id !== planted.id));
      const record = evidenceOf(evidenceDir, status);
      assertDecided(record, 'create-again', /^replacement external key$/, approvers[0]!);
      assertStopInChainAndMarkdown(evidenceDir, status, 'create-again', approvers[0]!);
      assert.equal(record.endState, 'completed');
    });
  });

  it('a project planted under the replacement project’s name: the run stops; adopted, it is the run’s replacement', async function () {
    await awsRun('remove-key-permission', async ({ w, handle, tag, evidenceDir }) => {
      const admin = w.demo.openai.adminKey;
      const [first, second] = w.demo.openai.projects;
      const all = await projects(w.twin, admin);
      const nameFor = (old: { id: string }) =>
        `${all.find((p) => p.id === old.id)!.name}-${tag}-${old.id.slice(-6)}`;
      const other = await registerOtherKey(w, `someone-else-${randomBytes(3).toString('hex')}`);
      const planted = await adminPost<ProjectListing>(w.twin, admin, '/v1/organization/projects', {
        name: nameFor(first!),
        external_key_id: other.id,
      });
      await vote(handle, 'archive', approvers[0]!);

      const stop = await waitForStop(handle, /^replacement project for /);
      assert.equal(stop.step, `replacement project for ${first!.id}`);
      assert.equal(stop.name, nameFor(first!));
      assert.deepEqual(
        stop.candidates.map((c) => c.id),
        [planted.id],
      );
      assert.match(stop.candidates[0]!.description, new RegExp(`bound to ${other.id}, not this run’s`));
      await resolve(handle, stop, approvers[1]!, 'adopt', planted.id);
      const status = await ended(handle);
      assert.equal(status.endState, 'completed', status.endReason);

      // The record: the adopted project is the run's replacement for the first archived one.
      assert.equal(status.replacement?.projectId, planted.id);
      const replace = status.steps.find((s) => s.step === 'replace')!;
      assert.equal(replace.state, 'done');
      const made = (replace.data as { projects: { id: string; name: string }[] }).projects;
      assert.equal(made.length, 2);
      assert.equal(made[0]!.id, planted.id);
      assert.equal(made[1]!.name, nameFor(second!));
      // The world: one project of that name (the planted one, still bound where it was), the second
      // archived project's replacement bound to the run's own external key.
      const after = await projects(w.twin, admin);
      const named = after.filter((p) => p.name === nameFor(first!));
      assert.deepEqual(
        named.map((p) => [p.id, p.status, p.external_key_id]),
        [[planted.id, 'active', other.id]],
      );
      const secondReplacement = after.filter((p) => p.name === nameFor(second!));
      assert.equal(secondReplacement.length, 1);
      assert.equal(secondReplacement[0]!.external_key_id, status.replacement?.externalKeyId);
      const keys = await externalKeys(w.twin, admin);
      assert.deepEqual(
        keys.filter((k) => k.name === `ekm-${tag}`).map((k) => k.id),
        [status.replacement?.externalKeyId],
      );
      const record = evidenceOf(evidenceDir, status);
      assertDecided(record, `adopt ${planted.id}`, /^replacement project for /, approvers[1]!);
      assertStopInChainAndMarkdown(evidenceDir, status, `adopt ${planted.id}`, approvers[1]!);
    });
  });

  it('a KMS key carrying the run’s tags without its proof: the run stops; abandoned, it ends archived and keeps the old key', async function () {
    await awsRun(
      'key-policy-deny',
      async ({ w, handle, tag, runId, evidenceDir }) => {
        const admin = w.demo.openai.adminKey;
        const { KeyMetadata } = await w.kms.send(
          new CreateKeyCommand({
            Description: 'looks like the run’s replacement',
            Tags: [
              { TagKey: workflowIdTag, TagValue: `${handle.workflowId}/${runId}` },
              { TagKey: stepTag, TagValue: 'replacement-key' },
              { TagKey: ownerProofTag, TagValue: 'ab'.repeat(20) }, // well-formed, not the worker's HMAC
            ],
          }),
        );
        const plantedArn = KeyMetadata!.Arn!;
        await vote(handle, 'archive', approvers[0]!);

        const stop = await waitForStop(handle, /^replacement KMS key$/);
        assert.deepEqual(
          stop.candidates.map((c) => c.id),
          [plantedArn],
        );
        assert.match(stop.candidates[0]!.description, /without this worker’s ekm:owner-proof/);
        await resolve(handle, stop, approvers[1]!, 'abandon');
        const status = await ended(handle);
        assert.equal(status.endState, 'archived', status.endReason);
        await recordForReplay(handle, 'revokeKey-stopped-planted-key-abandoned');
        assert.match(status.endReason!, /abandoned by a person at the replacement KMS key/);
        assert.equal(status.steps.find((s) => s.step === 'replace')?.state, 'failed');
        assert.equal(status.steps.find((s) => s.step === 'deletion')?.state, 'skipped');
        assert.equal(status.gates.filter((g) => g.kind === 'deletion').length, 0, 'no deletion gate');
        assert.equal(status.replacement?.keyArn, undefined);

        // The world: nothing made under the run's names; the old key kept (not pending deletion); the
        // planted key untouched.
        const keys = await externalKeys(w.twin, admin);
        assert.deepEqual(
          keys.filter((k) => k.name.startsWith(`ekm-${tag}`)),
          [],
        );
        assert.deepEqual(
          (await projects(w.twin, admin)).filter((p) => p.name.includes(tag)),
          [],
        );
        assert.equal(await roleExists(w, `ekm-openai-${tag}`), false);
        const old = await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }));
        assert.notEqual(old.KeyMetadata?.KeyState, 'PendingDeletion');
        assert.equal(old.KeyMetadata?.DeletionDate, undefined);
        const plantedNow = await w.kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId! }));
        assert.equal(plantedNow.KeyMetadata?.KeyState, 'Enabled');
        const record = evidenceOf(evidenceDir, status);
        assertDecided(record, 'abandon', /^replacement KMS key$/, approvers[1]!);
        assertStopInChainAndMarkdown(evidenceDir, status, 'abandon', approvers[1]!);
        assert.equal(record.endState, 'archived');
      },
      { request: { deleteAfterDays: 7 } },
    );
  });

  it('through `ekm`: a planted role ekm-openai-<tag> stops the run; status shows it, bad flags and an unknown candidate are refused, --adopt re-points it', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-resolve-keys-'));
    const keyFile = path.join(dir, 'alice.pem');
    fs.writeFileSync(
      keyFile,
      approverKey(approvers[0]!).privateKey.export({ format: 'pem', type: 'pkcs8' }),
      { mode: 0o600 },
    );
    const env = {
      TEMPORAL_ADDRESS: (await devServer()).address,
      TEMPORAL_NAMESPACE: 'default',
      EKM_USER: requester,
    };
    const cli = (args: string[]) => runCli(args, env);
    try {
      await awsRun('remove-trust', async ({ w, handle, tag, evidenceDir }) => {
        const roleName = `ekm-openai-${tag}`;
        // Someone else's role under the run's name: it trusts another account, and uses nothing.
        const { Role } = await w.iam.send(
          new CreateRoleCommand({
            RoleName: roleName,
            AssumeRolePolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: 'arn:aws:iam::999999999999:root' },
                  Action: 'sts:AssumeRole',
                },
              ],
            }),
          }),
        );
        await vote(handle, 'archive', approvers[1]!);
        const stop = await waitForStop(handle, /^replacement role$/);
        const workflowId = handle.workflowId;

        const shown = ok(await cli(['status', workflowId]), 'status').stdout;
        assert.match(shown, new RegExp(`stopped +${stop.stopId} at the replacement role`));
        assert.ok(shown.includes(`found ${roleName}: the role ${Role!.Arn!} exists without`), shown);
        assert.ok(shown.includes(`ekm resolve ${workflowId} --as NAME --adopt ${roleName}`), shown);
        const json = JSON.parse(
          ok(await cli(['status', workflowId, '--json']), 'status --json').stdout,
        ) as Status;
        assert.equal(json.openStop?.stopHash, stop.stopHash);

        const two = await cli([
          'resolve',
          workflowId,
          '--as',
          approvers[0]!,
          '--adopt',
          roleName,
          '--abandon',
        ]);
        assert.equal(two.code, 2, `${two.stderr}\n${two.stdout}`);
        assert.match(two.stderr, /give exactly one of --adopt <resource>, --create-again or --abandon/);
        const unknown = await cli([
          'resolve',
          workflowId,
          '--as',
          approvers[0]!,
          '--adopt',
          'ekm-openai-someone-else',
          '--signing-key',
          keyFile,
        ]);
        assert.notEqual(unknown.code, 0);
        assert.match(unknown.stderr, /--adopt ekm-openai-someone-else: not among what the run found/);
        assert.ok(unknown.stderr.includes(roleName), unknown.stderr);
        let status = (await handle.query(statusQuery)) as unknown as Status;
        assert.deepEqual(status.openStop?.votes, [], 'nothing recorded');

        const adopted = ok(
          await cli([
            'resolve',
            workflowId,
            '--as',
            approvers[0]!,
            '--adopt',
            roleName,
            '--signing-key',
            keyFile,
          ]),
          'resolve --adopt',
        ).stdout;
        assert.match(adopted, new RegExp(`decided: adopt ${roleName}`));
        status = await ended(handle);
        assert.equal(status.endState, 'completed', status.endReason);

        // The world: the planted role now trusts OpenAI with the org's external id and may use the new
        // key (only), and the run's external key is registered through it; no second role was made.
        assert.equal(status.replacement?.roleArn, Role!.Arn);
        const role = await w.iam.send(new GetRoleCommand({ RoleName: roleName }));
        const trust = JSON.parse(decodePolicyText(role.Role!.AssumeRolePolicyDocument!)) as {
          Statement: { Principal: { AWS: string | string[] }; Condition: unknown }[];
        };
        assert.deepEqual(
          trust.Statement.map((s) => [s.Principal.AWS, s.Condition]),
          [[openAiVendorRoleArn, { StringEquals: { 'sts:ExternalId': w.demo.aws.externalId } }]],
        );
        const use = await w.iam.send(
          new GetRolePolicyCommand({ RoleName: roleName, PolicyName: replacementKeyPolicyName }),
        );
        assert.ok(decodePolicyText(use.PolicyDocument!).includes(status.replacement!.keyArn!));
        assert.equal(await roleExists(w, `${roleName}-2`), false);
        const keys = await externalKeys(w.twin, w.demo.openai.adminKey);
        const own = keys.filter((k) => k.name === `ekm-${tag}`);
        assert.deepEqual(
          own.map((k) => [k.id, k.role_arn, k.kms_arn]),
          [[status.replacement?.externalKeyId, Role!.Arn, status.replacement?.keyArn]],
        );
        // The run's new key carries its proof (what a retry would recognise).
        const tags = await w.kms.send(new ListResourceTagsCommand({ KeyId: status.replacement!.keyArn! }));
        assert.ok(tags.Tags?.some((t) => t.TagKey === ownerProofTag));
        const record = evidenceOf(evidenceDir, status);
        assertDecided(record, `adopt ${roleName}`, /^replacement role$/, approvers[0]!);
        assertStopInChainAndMarkdown(evidenceDir, status, `adopt ${roleName}`, approvers[0]!);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('google cloud: a Cloud KMS key planted under the new key id stops the run; created again as <id>-2 and registered', async function () {
    const w: GcpRevocationWorld = await startGcpRevocationWorld(2);
    world = w;
    const request = gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput;
    const worker = w.worker();
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyName),
          args: [request],
        });
        const tag = runTag(handle.firstExecutionRunId);
        await vote(handle, 'revoke', approvers[0]!);
        await waitForGate(handle, 'archive');
        const ring = request.keyName.split('/cryptoKeys/')[0]!;
        const oldKeyId = request.keyName.split('/').pop()!;
        const plantedName = `${ring}/cryptoKeys/${oldKeyId}-${tag}`;
        await w.gcp.kms.createCryptoKey({
          parent: ring,
          cryptoKeyId: `${oldKeyId}-${tag}`,
          // A label in the marker's shape, but not this worker's HMAC.
          cryptoKey: { purpose: 'ENCRYPT_DECRYPT', labels: { [createdByLabel]: 'cd'.repeat(20) } },
        });
        await vote(handle, 'archive', approvers[1]!);

        const stop = await waitForStop(handle, /^replacement key$/);
        assert.equal(stop.name, `${oldKeyId}-${tag}`);
        assert.deepEqual(
          stop.candidates.map((c) => c.id),
          [plantedName],
        );
        await resolve(handle, stop, approvers[0]!, 'create-again');
        const status = await ended(handle);
        assert.equal(status.endState, 'completed', status.endReason);
        await recordForReplay(handle, 'revokeKey-stopped-gcp-key-created-again');

        // The world: the new key under <id>-2, labelled with the worker's marker, OpenAI's principal
        // bound to it and not to the planted key; registered as ekm-<tag>, the new projects on it.
        const newName = `${ring}/cryptoKeys/${oldKeyId}-${tag}-2`;
        const replacement = status.replacement as { keyName?: string; externalKeyId?: string };
        assert.equal(replacement.keyName, newName);
        const [made] = await w.gcp.kms.getCryptoKey({ name: newName });
        assert.match(made.labels?.[createdByLabel] ?? '', /^[0-9a-f]{40}$/);
        assert.notEqual(made.labels?.[createdByLabel], 'cd'.repeat(20));
        const members = async (resource: string) => {
          const [policy] = await w.gcp.iam.getIamPolicy({ resource });
          return (policy.bindings ?? []).flatMap((b) => b.members ?? []);
        };
        assert.ok((await members(newName)).includes(w.principal));
        assert.ok(!(await members(plantedName)).includes(w.principal), 'the planted key is left alone');
        const [planted] = await w.gcp.kms.getCryptoKey({ name: plantedName });
        assert.equal(planted.labels?.[createdByLabel], 'cd'.repeat(20));
        const keys = await externalKeys(w.twin, w.adminKey);
        const own = keys.filter((k) => k.name === `ekm-${tag}`);
        assert.deepEqual(
          own.map((k) => [k.id, k.type, k.kms_key_name]),
          [[replacement.externalKeyId, 'gcp', `${oldKeyId}-${tag}-2`]],
        );
        assert.equal(own[0]!.api_project_ids.length, w.projects.length);
        const record = evidenceOf(worker.evidenceDir, status);
        assertDecided(record, 'create-again', /^replacement key$/, approvers[0]!);
        assertStopInChainAndMarkdown(worker.evidenceDir, status, 'create-again', approvers[0]!);
      },
      worker,
    );
  });
});
