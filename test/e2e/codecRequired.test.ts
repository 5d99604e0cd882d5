// Attack (issue 16, finding 5): with `codec.required`, payloads that arrive in clear are refused. Someone
// with namespace access but without the codec keys starts a revocation, or sends a vote to a run, in
// clear: no activity runs, moto is unchanged, and the refusal is visible (a workflow task failure naming
// the codec). On the dev server with moto and the OpenAI twin.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { WorkflowHandle } from '@temporalio/client';
import { keyWorkflowId } from '../../common/workflowIds';
import { voteStatement, type Signature } from '../../common/signedStatement';
import type { Vote } from '../../common/approvals';
import { parseWorkerConfig } from '../../worker/config';
import { workerPayloadCodec } from '../../worker/createWorker';
import { voteSignal, voteUpdate } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { signatureBy } from '../fixtures/approverKeys';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, sandboxWorker, vote, waitForGate } from '../fixtures/revoke';
import { rememberSecret } from '../fixtures/secrets';
import type { TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

/** What a revocation would change in moto: the key's state and policy, the role's trust policy. */
async function awsState(w: TwinWorld): Promise<unknown> {
  const key = await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }));
  const policy = await w.kms.send(
    new GetKeyPolicyCommand({ KeyId: w.demo.aws.keyId, PolicyName: 'default' }),
  );
  const role = await w.iam.send(new GetRoleCommand({ RoleName: w.demo.aws.roleArn.split('/').pop()! }));
  return {
    keyState: key.KeyMetadata?.KeyState,
    keyPolicy: policy.Policy,
    trust: role.Role?.AssumeRolePolicyDocument,
  };
}

/** The worker's codec as `codec.required` configures it, keys in a variable of the test's own. */
function requiredCodec() {
  const key = randomBytes(32).toString('base64');
  rememberSecret(key);
  const variable = `EKM_TEST_REQUIRED_CODEC_KEYS_${randomBytes(3).toString('hex').toUpperCase()}`;
  // Only the codec section matters here; a read worker's configuration needs no gates.
  const config = parseWorkerConfig({
    role: 'read',
    mutatingTaskQueue: 'ekm-changes',
    codec: { keysEnv: variable, required: true },
  });
  return workerPayloadCodec(config, { [variable]: `req-1:${key}` })!;
}

/** The run's history as anyone with namespace access reads it (no keys needed for event types). */
async function events(handle: WorkflowHandle) {
  return (await handle.fetchHistory()).events ?? [];
}

async function waitForTaskFailure(handle: WorkflowHandle): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const failed = (await events(handle)).find((e) => e.workflowTaskFailedEventAttributes);
    if (failed) return failed.workflowTaskFailedEventAttributes!.failure?.message ?? '';
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no workflow task failure within 20 s');
}

describe('codec.required refuses plaintext payloads (attack)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a revocation started in clear by a client without the codec runs no activity and changes nothing', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    const env = await devEnvironment();
    const before = await awsState(w);
    await withWorker(
      env,
      async ({ taskQueue }) => {
        // env.client has no codec: its input reaches Temporal in clear.
        const handle = await env.client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [awsScenario.request(w, 'disable-key')],
        });
        try {
          const message = await waitForTaskFailure(handle);
          assert.match(
            message,
            /arrived in clear and was refused.*codec\.required/,
            'the failure names the codec',
          );
          await new Promise((r) => setTimeout(r, 2000));
          const scheduled = (await events(handle)).filter((e) => e.activityTaskScheduledEventAttributes);
          assert.equal(scheduled.length, 0, 'no activity was scheduled');
          assert.deepEqual(await awsState(w), before, 'moto is unchanged');
        } finally {
          await handle.terminate('test over').catch(() => undefined);
        }
      },
      { ...sandboxWorker(w), payloadCodec: requiredCodec() },
    );
  });

  /**
   * A revocation under the required codec, waiting at its revoke gate: `act` gets its handle, an approver's
   * well-signed vote for that gate, and the same run as a client without the codec (in clear) sees it.
   * Runs on a worker with the required codec; the run is terminated afterwards.
   */
  async function atEncryptedRevokeGate(
    w: TwinWorld,
    act: (run: {
      handle: WorkflowHandle;
      vote: Vote & { signature: Signature };
      plain: WorkflowHandle;
    }) => Promise<void>,
  ): Promise<void> {
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.demo.aws.keyArn),
          args: [awsScenario.request(w, 'disable-key')],
        });
        try {
          const gate = await waitForGate(handle, 'revoke');
          const { runId } = await handle.describe();
          const unsigned = {
            gateId: gate.gateId,
            planHash: gate.planHash,
            decision: 'approve' as const,
            approver: approvers[0]!,
          };
          const signature = signatureBy(approvers[0]!, (expiresAt) =>
            voteStatement({ workflowId: handle.workflowId, runId }, unsigned, expiresAt),
          );
          // The same run, through a client without the codec: what it sends travels in clear.
          const plain = env.client.workflow.getHandle(handle.workflowId, runId);
          await act({ handle, vote: { ...unsigned, signature }, plain });
        } finally {
          await handle.terminate('test over').catch(() => undefined);
        }
      },
      { ...sandboxWorker(w), payloadCodec: requiredCodec() },
    );
  }

  it('a vote sent in clear to an encrypted run is refused; the gate stays open and moto is unchanged', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    const before = await awsState(w);
    await atEncryptedRevokeGate(w, async ({ handle, vote: signed, plain }) => {
      // The same vote, well signed, but sent by a client without the codec: in clear.
      const sent = await Promise.race([
        plain.executeUpdate(voteUpdate, { args: [signed] }).then(
          () => 'accepted',
          (err: Error) => `refused: ${err.message}: ${(err.cause as Error | undefined)?.message}`,
        ),
        new Promise<string>((r) => setTimeout(() => r('no answer within 15 s'), 15_000)),
      ]);
      assert.match(
        sent,
        /^refused: .*arrived in clear and was refused/,
        `a vote in clear is refused, got: ${sent}`,
      );
      await new Promise((r) => setTimeout(r, 3000));
      assert.deepEqual(await awsState(w), before, 'moto is unchanged');
      // The run was not harmed: the same vote from a client with the keys is taken.
      const taken = await vote(handle, 'revoke', approvers[0]!);
      assert.ok(
        taken.votes.some((v) => v.approver === approvers[0]),
        JSON.stringify(taken),
      );
    });
  });

  it('a vote-signal sent in clear is not taken: the run’s task fails naming the codec, moto is unchanged', async function () {
    const w = (world = await awsScenario.world('disable-key', 2));
    const before = await awsState(w);
    await atEncryptedRevokeGate(w, async ({ handle, vote: signed, plain }) => {
      await plain.signal(voteSignal, signed);
      // A signal is in the history once sent: the run cannot take it, so its task fails until an
      // operator resets the run to before the signal (or terminates it).
      const message = await waitForTaskFailure(handle);
      assert.match(message, /arrived in clear and was refused.*codec\.required/);
      await new Promise((r) => setTimeout(r, 3000));
      assert.deepEqual(await awsState(w), before, 'moto is unchanged');
    });
  });
});
