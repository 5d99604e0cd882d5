// The revocation runbook end to end on the dev server: a sandbox worker, the key's cloud (moto, or the
// Cloud KMS fake), the OpenAI twin (a cache TTL of 2 s, waited out for real), people answering the gates
// through the Update. The whole runbook runs per provider and method (`revocationScenarios`); the
// ChatGPT Enterprise, rejection and refusal cases run on AWS.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { WorkflowFailedError } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/workflowIds';
import type { RunStatus } from '../../providers/runStatus';
import { keyOf, principalOf, type RunSubject } from '../../providers/runSubject';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence } from '../fixtures/evidence';
import {
  approvers,
  attest,
  awsScenario,
  revocationScenarios,
  sandboxWorker,
  vote,
  waitForStatus,
  type RevocationWorld,
} from '../fixtures/revoke';
import { call, type HttpAnswer, type TwinWorld } from '../fixtures/twin';
import { recordForReplay } from '../fixtures/replay';
import { withWorker } from '../fixtures/worker';

const ttlSeconds = 2;

async function validateAnswer(w: RevocationWorld | TwinWorld, externalKeyId: string) {
  const adminKey = 'demo' in w ? w.demo.openai.adminKey : w.adminKey;
  return call(w.twin.url, 'POST', `/v1/organization/external_keys/${externalKeyId}/validate`, adminKey);
}

for (const scenario of revocationScenarios) {
  describe(`revokeKey end to end (${scenario.provider})`, function () {
    let world: RevocationWorld | undefined;
    afterEach(async () => {
      await world?.close();
      world = undefined;
    });

    for (const method of scenario.methods) {
      it(`${method}: the whole runbook — access gone, projects archived, a working replacement`, async function () {
        const w = (world = await scenario.world(method, ttlSeconds));
        const request = scenario.request(w, method);
        const key = keyOf(request);
        const worker = w.worker();
        const env = await devEnvironment();
        let validateAfterRevoke: HttpAnswer | undefined;
        const result = await withWorker(
          env,
          async ({ client, taskQueue }) => {
            const handle = await client.workflow.start(revokeKey, {
              taskQueue,
              workflowId: keyWorkflowId(key),
              args: [request],
            });
            await vote(handle, 'revoke', approvers[0]!);
            // Right after the revoke — long before OpenAI's cache expires — validate already fails.
            await waitForStatus(
              handle,
              (s) => s.steps.find((step) => step.step === 'revoke')?.state === 'done',
              'the revoke',
            );
            validateAfterRevoke = await validateAnswer(w, request.externalKeyId!);
            await vote(handle, 'archive', approvers[1]!);
            const status = await handle.result();
            await recordForReplay(
              handle,
              scenario.provider === 'aws'
                ? `revokeKey-completed-${method}`
                : `revokeKey-completed-gcp-${method}`,
            );
            return status;
          },
          worker,
        );
        assert.equal(result.endState, 'completed', result.endReason);
        assert.equal(validateAfterRevoke?.status, 400, JSON.stringify(validateAfterRevoke?.body));

        // OpenAI's access is really gone: validate fails, and the probes the run made after the wait were
        // every one denied while the control call answered.
        const after = await validateAnswer(w, request.externalKeyId!);
        assert.equal(after.status, 400, JSON.stringify(after.body));
        const probes = result.steps.find((s) => s.step === 'probes')!;
        assert.equal(probes.state, 'done');
        const lastRounds = (
          probes.data as { probes: { outcome: string }[]; control: { ok: boolean } }[][]
        ).at(-1)!;
        assert.ok(lastRounds.length === 2 && lastRounds.every((r) => r.control.ok));
        assert.deepEqual(
          lastRounds.flatMap((r) => r.probes.map((p) => p.outcome)),
          Array(6).fill('denied'),
        );
        // The data keys cannot be opened any more, whatever the project state.
        for (const project of w.projects) {
          const file = w.twin.store.data.objects.find((o) => o.id === project.fileId)!;
          await assert.rejects(w.twin.ekm.readObject(file), (err: { code?: string }) =>
            scenario.refusals.includes(err.code ?? ''),
          );
        }

        // Every affected project archived.
        for (const project of w.projects) {
          const p = await call(w.twin.url, 'GET', `/v1/organization/projects/${project.id}`, w.adminKey);
          assert.equal((p.body as { status: string }).status, 'archived');
        }

        // A working replacement: a new key and registration that validate, one new project per archived one.
        const r = result.replacement! as NonNullable<RunStatus['replacement']> & { keyName?: string };
        const newKey = r.keyArn ?? r.keyName;
        assert.ok(newKey && newKey !== key, JSON.stringify(r));
        assert.equal((await validateAnswer(w, r.externalKeyId!)).status, 200);
        const replacements = w.twin.store.data.projects.filter((p) => p.external_key_id === r.externalKeyId);
        assert.equal(replacements.length, 2);
        assert.ok(replacements.every((p) => p.status === 'active'));

        // Evidence an auditor can read, in the worker's evidence folder.
        const folder = path.join(worker.evidenceDir, folderFor(keyWorkflowId(key)));
        const [runDir] = fs.readdirSync(folder);
        const evidence = JSON.parse(
          fs.readFileSync(path.join(folder, runDir!, 'evidence.json'), 'utf8'),
        ) as RunStatus<RunSubject>;
        assertEvidence(path.join(folder, runDir!)); // the shipped schema, and chain.json verified
        assert.equal(evidence.endState, 'completed');
        assert.equal(evidence.request.provider, scenario.provider);
        assert.equal(keyOf(evidence.request), key);
        assert.equal(evidence.settings?.mode, 'sandbox');
        assert.equal(evidence.cacheWait?.seconds, 3);
        assert.ok(evidence.gates.every((g) => g.decision === 'approved'));
        const markdown = fs.readFileSync(path.join(folder, runDir!, 'evidence.md'), 'utf8');
        assert.match(markdown, new RegExp(`approve by ${approvers[0]}`));
        assert.ok(markdown.startsWith(`# EKM key revocation — ${key}\n`), markdown.split('\n')[0]);
        // Who OpenAI is at the key, in its cloud's words: the role it assumes, or its IAM principal.
        assert.ok(
          markdown.includes(`${request.provider === 'gcp' ? 'principal' : 'role'}: ${principalOf(request)}`),
        );
        assert.ok(fs.existsSync(path.join(folder, runDir!, 'access-snapshot.json')));

        // The audit trail on both sides: OpenAI used the key before (registration and the seeded objects),
        // and after the revocation only tried and was refused (validate's live checks).
        const before = evidence.usage?.before?.report;
        assert.ok(
          before && before.successful >= 1 && before.lastSuccessfulUse,
          JSON.stringify(evidence.usage),
        );
        const trail = evidence.usage?.after;
        assert.ok(trail?.report, JSON.stringify(trail));
        const counted = trail.report as { roleArn?: string; principal?: string };
        assert.equal(counted.roleArn ?? counted.principal, principalOf(request));
        assert.deepEqual(trail.lateUses, []);
        assert.ok(trail.report.refused >= 1, 'validate’s refused calls after the revocation are listed');
        assert.ok(trail.revokedAt < trail.until && trail.until === evidence.cacheWait?.endedAt);
        assert.match(markdown, /## Audit trail[\s\S]*successful uses after that: \*\*0\*\*/);
      });
    }
  });
}

describe('revokeKey end to end (aws)', function () {
  const scenario = awsScenario;
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a ChatGPT Enterprise workspace: people attest what has no API, and the run completes', async function () {
    const w = (world = await scenario.world('disable-key', ttlSeconds));
    // A workspace key of its own: the same customer set-up, registered with OpenAI by support, not the API.
    const workspace = await scenario.workspaceKey(w);
    const request = {
      provider: 'aws' as const,
      product: 'chatgpt-enterprise' as const,
      keyArn: workspace.keyArn,
      roleArn: workspace.roleArn,
      method: 'disable-key',
      workspaceId: 'ws-rehearsal-1',
      requester: 'rita@example.com',
      reason: 'rehearsal: workspace key compromised',
      changeTicket: 'CHG-4244',
    };
    const env = await devEnvironment();
    const result = await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        await vote(handle, 'revoke', approvers[0]!);
        // The requester may not attest that their own revocation worked.
        await assert.rejects(
          attest(handle, 'chatgpt-verify', request.requester, 'inaccessible'),
          (err: Error) => /separation of duties/.test(String((err.cause as Error | undefined)?.message)),
        );
        await attest(handle, 'chatgpt-verify', approvers[1]!, 'inaccessible');
        await vote(handle, 'archive', approvers[0]!);
        await attest(handle, 'chatgpt-support', approvers[1]!, 'contacted', 'SUP-12345');
        return handle.result();
      },
      sandboxWorker(w),
    );
    assert.equal(result.endState, 'completed', result.endReason);
    assert.equal(result.steps.find((s) => s.step === 'validate')?.state, 'skipped');
    const support = result.tasks.find((t) => t.kind === 'chatgpt-support')!;
    assert.equal(support.answer?.ticketReference, 'SUP-12345');
    assert.equal(support.answer?.by, approvers[1]);
    const key = await w.kms.send(new DescribeKeyCommand({ KeyId: workspace.keyArn }));
    assert.equal(key.KeyMetadata?.KeyState, 'Disabled');
    assert.ok(result.replacement?.keyArn && result.replacement.keyArn !== workspace.keyArn);
    // The API projects on the demo's own key were not touched.
    assert.equal((await validateAnswer(w, w.demo.openai.externalKeyId)).status, 200);
  });

  it('a rejected approval changes nothing: role, key and project exactly as before', async function () {
    const w = (world = await scenario.world('key-policy-deny', ttlSeconds));
    const request = scenario.request(w, 'key-policy-deny');
    const env = await devEnvironment();
    const before = await snapshot(w);
    const result = await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        await vote(handle, 'revoke', approvers[0]!, 'reject');
        return handle.result();
      },
      sandboxWorker(w),
    );
    assert.equal(result.endState, 'rejected');
    assert.deepEqual(await snapshot(w), before);
    assert.equal((await validateAnswer(w, request.externalKeyId!)).status, 200);
  });

  it('refuses a request that leaves out a project on the same key, changing nothing', async function () {
    const w = (world = await scenario.world('disable-key', ttlSeconds));
    const request = scenario.request(w, 'disable-key');
    const first = w.demo.openai.projects[0]!.id;
    const env = await devEnvironment();
    const error = await withWorker(
      env,
      async ({ client, taskQueue }) =>
        client.workflow
          .execute(revokeKey, {
            taskQueue,
            workflowId: keyWorkflowId(request.keyArn),
            args: [
              {
                ...request,
                projectIds: [first],
                probes: request.probes!.filter((p) => p.projectId === first),
              },
            ],
          })
          .then(
            () => undefined,
            (err: unknown) => err,
          ),
      sandboxWorker(w),
    );
    assert.ok(error instanceof WorkflowFailedError);
    // The workflow fails with the plan's refusal, which names the project left out (the plan is computed in
    // the workflow since `cheaper-runs`: the refusal is the run's own failure, no activity's).
    assert.match(String(error.cause?.message), /projectIds: proj_\S+ \(ekm-demo-shared/);
    assert.equal((await validateAnswer(w, request.externalKeyId!)).status, 200);
  });
});

/** What a revocation could change, read straight from moto and the twin. */
async function snapshot(w: TwinWorld) {
  const { GetKeyPolicyCommand, DescribeKeyCommand, ListGrantsCommand } = await import('@aws-sdk/client-kms');
  const { GetRoleCommand, ListRolePoliciesCommand } = await import('@aws-sdk/client-iam');
  const roleName = w.demo.aws.roleArn.split('/').pop()!;
  return {
    key: (await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }))).KeyMetadata?.KeyState,
    policy: (await w.kms.send(new GetKeyPolicyCommand({ KeyId: w.demo.aws.keyId, PolicyName: 'default' })))
      .Policy,
    grants: (await w.kms.send(new ListGrantsCommand({ KeyId: w.demo.aws.keyId }))).Grants?.length,
    trust: (await w.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.AssumeRolePolicyDocument,
    policies: (await w.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames,
    projects: w.twin.store.data.projects.map((p) => `${p.id}:${p.status}`),
  };
}
