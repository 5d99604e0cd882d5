// Issue 16, finding 3 — forgeable evidence and snapshots. Attacks by someone with namespace access (who
// can start any workflow type the workers know) and by someone who can write the evidence directory:
// a test-only workflow writes a running revocation's record and snapshot before it does; a snapshot edited
// on disk (another principal granted kms:Decrypt, a trust policy changed, another member bound) is handed
// to `ekm restore`. Each is refused, and moto / the Cloud KMS fake are read back unchanged. The restore
// plan shows approvers the diff it would apply, through the `ekm` binary.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/workflowIds';
import { type AwsAccessSnapshot, type AwsRevokeKeyInput } from '../../providers/aws/request';
import type { GcpAccessSnapshot } from '../../providers/gcp/activities/snapshotAccess';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { statusQuery } from '../../workflows/revoke/messages';
import { restoreAccess } from '../../workflows/restoreAccess';
import { revokeKey } from '../../workflows/revokeKey';
import { runCli } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence, sampleRevocationStatus } from '../fixtures/evidence';
import {
  approvers,
  awsScenario,
  gcpRevocation,
  requester,
  sandboxWorker,
  startGcpRevocationWorld,
  vote,
  waitForGate,
  waitForStatus,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import type { TwinWorld } from '../fixtures/twin';
import { withWorker, type WorkerContext } from '../fixtures/worker';
import { forgeEvidence } from '../workflows/forgeEvidence';

const mallory = 'arn:aws:iam::123456789012:user/mallory';

/** Settles a run and reads its final status (failed runs keep answering the query). */
async function ended(handle: WorkflowHandle): Promise<RunStatus<RunSubject>> {
  await handle.result().catch(() => undefined);
  return (await handle.query(statusQuery)) as unknown as RunStatus<RunSubject>;
}

function runFolder(evidenceDir: string, workflowId: string, runId: string): string {
  return path.join(evidenceDir, folderFor(workflowId), runId);
}

function startRestore(client: Client, taskQueue: string, workflowId: string, runId: string, ticket: string) {
  return client.workflow.start(restoreAccess, {
    taskQueue,
    workflowId,
    args: [
      { revokeWorkflowId: workflowId, revokeRunId: runId, requester, reason: 'undo', changeTicket: ticket },
    ],
  });
}

/**
 * A restore of a tampered snapshot: if it ever reaches its gate, an approver (who was shown no diff)
 * approves — the attack's best case. Returns how it ended.
 */
async function restoreApprovedIfAsked(restore: WorkflowHandle): Promise<RunStatus<RunSubject>> {
  const s = await waitForStatus(
    restore,
    (x) => x.openGate?.kind === 'restore' || x.endState !== undefined,
    'the restore gate or the refusal',
  ).catch(() => undefined);
  if (s?.openGate?.kind === 'restore') await vote(restore, 'restore', approvers[1]!);
  return ended(restore);
}

async function cliEnv() {
  return {
    TEMPORAL_ADDRESS: (await devServer()).address,
    TEMPORAL_NAMESPACE: 'default',
    EKM_USER: requester,
  };
}

describe('forged evidence and snapshots (issue 16, finding 3)', function () {
  this.timeout(300_000);
  let twinWorld: TwinWorld | undefined;
  let gcpWorld: GcpRevocationWorld | undefined;
  afterEach(async () => {
    await twinWorld?.close();
    await gcpWorld?.close();
    twinWorld = gcpWorld = undefined;
  });

  async function awsRevocation<T>(
    method: 'remove-trust' | 'key-policy-deny',
    body: (
      ctx: WorkerContext & {
        w: TwinWorld;
        request: AwsRevokeKeyInput;
        handle: WorkflowHandle;
        evidenceDir: string;
      },
    ) => Promise<T>,
  ): Promise<T> {
    const w = (twinWorld = await awsScenario.world(method, 2));
    const request = awsScenario.request(w, method) as AwsRevokeKeyInput;
    const worker = sandboxWorker(w, { revoke: { cacheWaitSeconds: 600 } });
    return withWorker(
      await devEnvironment(),
      async (ctx) => {
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        return body({ ...ctx, w, request, handle, evidenceDir: worker.evidenceDir });
      },
      worker,
    );
  }

  it('a test-only workflow writing a running revocation’s record and snapshot is refused; the revocation ends with its own evidence', async function () {
    await awsRevocation('remove-trust', async ({ client, taskQueue, handle, evidenceDir, w }) => {
      await waitForGate(handle, 'revoke');
      const { runId } = await handle.describe();
      const forgedSnapshot: AwsAccessSnapshot = {
        takenAt: '2026-01-01T00:00:00.000Z',
        key: { arn: w.demo.aws.keyArn, keyId: w.demo.aws.keyId, state: 'Enabled', policy: '{}' },
        role: { arn: mallory, name: 'mallory', trustPolicy: '{}', inlinePolicies: [], attachedPolicies: [] },
        grants: [],
        otherKeyPrincipals: [],
        otherKeysTheRoleCanUse: [],
      };
      const forge = await client.workflow.start(forgeEvidence, {
        taskQueue,
        workflowId: `forge-${runId}`,
        args: [
          {
            workflowId: handle.workflowId,
            runId,
            status: sampleRevocationStatus(),
            snapshot: forgedSnapshot,
          },
        ],
      });
      const outcomes = await forge.result();
      assert.equal(outcomes.length, 2);
      for (const o of outcomes)
        assert.match(o, /refused: \S+ .*forgeEvidence.*(does not record evidence|not a run that records)/, o);
      assert.ok(
        !fs.existsSync(path.join(evidenceDir, folderFor(forge.workflowId))),
        'nothing written under the forging run either',
      );

      // The real run goes on and ends with its own record.
      await handle.cancel();
      const status = await ended(handle);
      assert.equal(status.endState, 'cancelled', status.endReason);
      const folder = runFolder(evidenceDir, handle.workflowId, runId);
      const record = assertEvidence(folder);
      assert.equal(record.runId, runId);
      assert.equal(record.endState, 'cancelled');
      assert.equal(record.request.requester, requester);
      assert.ok(!fs.existsSync(path.join(folder, 'access-snapshot.json')), 'no planted snapshot');
    });
  });

  it('AWS: the restore plan shows the key policy diff; a snapshot edited on disk (mallory may decrypt, trust changed) is refused before any change', async function () {
    await awsRevocation('key-policy-deny', async ({ client, taskQueue, handle, evidenceDir, w }) => {
      await vote(handle, 'revoke', approvers[0]!);
      await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
      await handle.cancel();
      const revoked = await ended(handle);
      assert.equal(revoked.endState, 'revoked-unverified', revoked.endReason);
      const roleName = w.demo.aws.roleArn.split('/').pop()!;
      const world = async () => ({
        keyPolicy: (
          await w.kms.send(new GetKeyPolicyCommand({ KeyId: w.demo.aws.keyId, PolicyName: 'default' }))
        ).Policy,
        trust: (await w.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.AssumeRolePolicyDocument,
      });
      const before = await world();
      assert.match(String(before.keyPolicy), /EkmRevokeOpenAI/);

      // The snapshot on disk edited: another principal may decrypt, the role trusts someone else.
      const file = path.join(
        runFolder(evidenceDir, handle.workflowId, revoked.runId),
        'access-snapshot.json',
      );
      const original = fs.readFileSync(file, 'utf8');
      const snapshot = JSON.parse(original) as AwsAccessSnapshot;
      const policy = JSON.parse(snapshot.key.policy) as { Statement: object[] };
      policy.Statement.push({
        Sid: 'Mallory',
        Effect: 'Allow',
        Principal: { AWS: mallory },
        Action: 'kms:Decrypt',
        Resource: '*',
      });
      snapshot.key.policy = JSON.stringify(policy);
      snapshot.role.trustPolicy = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: mallory }, Action: 'sts:AssumeRole' }],
      });
      fs.chmodSync(file, 0o640);
      fs.writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);

      const tampered = await startRestore(client, taskQueue, handle.workflowId, revoked.runId, 'CHG-7002');
      const refused = await restoreApprovedIfAsked(tampered);
      assert.equal(refused.endState, 'refused', refused.endReason);
      assert.match(String(refused.endReason), /access snapshot.*sha256.*does not match.*signed evidence/);
      assert.equal(
        refused.steps.find((s) => s.step === 'restore')?.state,
        'pending',
        'the restore never ran',
      );
      assert.deepEqual(await world(), before, 'moto: key policy and trust policy unchanged');

      // The snapshot as the revocation kept it again: an honest restore.
      fs.writeFileSync(file, original);
      // Approvers see what the key policy is now and what the restore puts back.
      const honest = await startRestore(client, taskQueue, handle.workflowId, revoked.runId, 'CHG-7001');
      await waitForGate(honest, 'restore');
      const human = await runCli(
        ['status', handle.workflowId, '--run-id', honest.firstExecutionRunId],
        await cliEnv(),
      );
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /diff +key policy of arn:aws:kms:\S+ \(- now, \+ after the restore\)/);
      assert.match(human.stdout, /^\s+- .*"Sid": "EkmRevokeOpenAI"/m, human.stdout);
      assert.match(human.stdout, /^\s+- .*"Effect": "Deny"/m);
      assert.match(
        human.stdout,
        /snapshot +sha256:[0-9a-f]{64} of .* verified against the revocation’s signed evidence/,
      );
      const json = await runCli(
        ['status', handle.workflowId, '--run-id', honest.firstExecutionRunId, '--json'],
        await cliEnv(),
      );
      const plan = (JSON.parse(json.stdout) as RunStatus).plan!;
      assert.ok(
        plan.diff?.some(
          (d) =>
            d.document.startsWith('key policy of') &&
            d.lines.some((l) => l.startsWith('- ') && l.includes('EkmRevokeOpenAI')),
        ),
      );
      await vote(honest, 'restore', approvers[1]!, 'reject');
      assert.equal((await ended(honest)).endState, 'rejected');
      assert.deepEqual(await world(), before, 'a rejected restore changes nothing');
      // The record says what approvers were shown: the snapshot's hash and the diff.
      const markdown = fs.readFileSync(
        path.join(runFolder(evidenceDir, handle.workflowId, honest.firstExecutionRunId), 'evidence.md'),
        'utf8',
      );
      assert.match(markdown, /\*\*Snapshot applied:\*\* `sha256:[0-9a-f]{64}`/);
      assert.match(
        markdown,
        /\*\*Diff:\*\* key policy of arn:aws:kms:\S+ \(- now, \+ after the restore\)\n\n```diff\n/,
      );
      assert.match(markdown, /^- .*"Sid": "EkmRevokeOpenAI"/m);
    });
  });

  it('Google Cloud: the restore plan shows the bindings it puts back; a snapshot edited on disk (another member bound) is refused, the fake’s IAM policy unchanged', async function () {
    const w = (gcpWorld = await startGcpRevocationWorld(2));
    const request = gcpRevocation.request(w, 'remove-binding');
    const workflowId = keyWorkflowId(w.keyName);
    const worker = w.worker({});
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, { taskQueue, workflowId, args: [request] });
        await vote(handle, 'revoke', approvers[0]!);
        await vote(handle, 'archive', approvers[1]!, 'reject');
        const revoked = await ended(handle);
        assert.equal(revoked.endState, 'revoked-verified', revoked.endReason);
        const iamPolicy = async () => (await w.gcp.iam.getIamPolicy({ resource: w.keyName }))[0].bindings;
        const before = JSON.parse(JSON.stringify(await iamPolicy())) as unknown;

        const file = path.join(
          runFolder(worker.evidenceDir, workflowId, revoked.runId),
          'access-snapshot.json',
        );
        const original = fs.readFileSync(file, 'utf8');
        const snapshot = JSON.parse(original) as GcpAccessSnapshot;
        snapshot.bindings.push({
          resource: w.keyName,
          role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
          member: 'user:mallory@example.com',
        });
        fs.chmodSync(file, 0o640);
        fs.writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);

        const tampered = await startRestore(client, taskQueue, workflowId, revoked.runId, 'CHG-7102');
        const refused = await restoreApprovedIfAsked(tampered);
        assert.equal(refused.endState, 'refused', refused.endReason);
        assert.match(String(refused.endReason), /access snapshot.*sha256.*does not match.*signed evidence/);
        assert.deepEqual(
          JSON.parse(JSON.stringify(await iamPolicy())),
          before,
          'the fake’s IAM policy on the key is unchanged',
        );

        fs.writeFileSync(file, original);
        const honest = await startRestore(client, taskQueue, workflowId, revoked.runId, 'CHG-7101');
        await waitForGate(honest, 'restore');
        const human = await runCli(
          ['status', workflowId, '--run-id', honest.firstExecutionRunId],
          await cliEnv(),
        );
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, /diff +IAM bindings of projects\/\S+ \(- now, \+ after the restore\)/);
        assert.ok(
          human.stdout.split('\n').some((l) => /^\s+\+ /.test(l) && l.includes(w.principal)),
          human.stdout,
        );
        await vote(honest, 'restore', approvers[1]!, 'reject');
        assert.equal((await ended(honest)).endState, 'rejected');
      },
      worker,
    );
  });
});
