// A revoked approver key on a real run (dev server, moto, the OpenAI twin): the worker's configuration
// revokes Bob's key from a time; a vote signed with it after that time is refused by the workflow's
// validator, nothing changes in moto or the twin, and the run's settings (and so its evidence) say from
// when the key is revoked. A vote by a key still in force counts.
import assert from 'node:assert/strict';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { keyWorkflowId } from '../../common/revoke';
import { startStatement } from '../../common/startStatement';
import { voteStatement } from '../../common/signedStatement';
import { statusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { approverKey, signatureBy, signersFor } from '../fixtures/approverKeys';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  awsScenario,
  requester,
  sandboxWorker,
  waitForGate,
  waitForStatus,
} from '../fixtures/revoke';
import { call, type TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const [alice, bob] = approvers as [string, string];

describe('a revoked approver key (aws)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a vote signed with a key revoked before the vote is refused by the running workflow, changing nothing', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    const revokedFrom = new Date(Date.now() - 60_000).toISOString();
    const options = sandboxWorker(w);
    options.config = {
      ...options.config,
      sandbox: false,
      revoke: { cacheWaitSeconds: 3600 },
      approvals: {
        ...options.config!.approvals,
        signers: signersFor([...approvers, requester]),
        revokedKeys: [{ key: approverKey(bob).publicKey, from: revokedFrom, reason: 'laptop stolen' }],
      } as NonNullable<typeof options.config>['approvals'],
    };
    const world0 = async () => ({
      keyPolicy: (
        await w.kms.send(new GetKeyPolicyCommand({ KeyId: w.demo.aws.keyArn, PolicyName: 'default' }))
      ).Policy,
      validate: (
        await call(
          w.twin.url,
          'POST',
          `/v1/organization/external_keys/${w.demo.openai.externalKeyId}/validate`,
          w.demo.openai.adminKey,
        )
      ).status,
    });
    const before = await world0();
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        const workflowId = keyWorkflowId(request.keyArn);
        const handle = await ctx.client.workflow.start(revokeKey, {
          taskQueue: ctx.taskQueue,
          workflowId,
          args: [
            { ...request, signature: signatureBy(requester, (e) => startStatement(workflowId, request, e)) },
          ],
        });
        const gate = await waitForGate(handle, 'revoke');
        const { runId } = await handle.describe();
        const vote = {
          gateId: gate.gateId,
          planHash: gate.planHash,
          decision: 'approve' as const,
          approver: bob,
        };
        const signed = {
          ...vote,
          signature: signatureBy(bob, (e) => voteStatement({ workflowId, runId }, vote, e)),
        };
        await assert.rejects(handle.executeUpdate(voteUpdate, { args: [signed] }), (err: Error) => {
          assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
          assert.match(
            String(err.cause?.message),
            new RegExp(
              `the approve by bob@example.com is signed with ed25519:[0-9a-f]{12}…, revoked from ${revokedFrom} \\(laptop stolen\\): sign with a key in force`,
            ),
          );
          return true;
        });
        const status = await handle.query(statusQuery);
        assert.equal(status.openGate?.votes.length, 0, 'the refused vote did not count');
        assert.deepEqual((status.settings?.approvals as { revokedKeys?: unknown } | undefined)?.revokedKeys, [
          { key: approverKey(bob).publicKey, from: revokedFrom, reason: 'laptop stolen' },
        ]);
        assert.deepEqual(await world0(), before, 'moto and the twin are unchanged');

        // Alice's key is in force: her rejection counts, and the run ends having changed nothing.
        const hers = { ...vote, approver: alice, decision: 'reject' as const };
        await handle.executeUpdate(voteUpdate, {
          args: [
            { ...hers, signature: signatureBy(alice, (e) => voteStatement({ workflowId, runId }, hers, e)) },
          ],
        });
        const ended = await waitForStatus(handle, (s) => s.endState !== undefined, 'the rejection');
        assert.equal(ended.endState, 'rejected');
        assert.deepEqual(await world0(), before, 'moto and the twin are unchanged');
      },
      options,
    );
  });
});
