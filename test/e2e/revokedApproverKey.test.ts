// A revoked approver key on a real run (dev server, moto, the OpenAI twin): the worker's configuration
// revokes Bob's key from a time just after the run starts; his vote, signed with it and sent after that
// time, is refused by the workflow's validator, nothing changes in moto or the twin, and the run's settings
// (and so its evidence) say from when the key is revoked. A vote by a key still in force counts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ensureSigningKeyFile } from '../../activities/evidence/signer';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/workflowIds';
import { startStatement } from '../../common/startStatement';
import { voteStatement } from '../../common/signedStatement';
import { statusQuery, voteUpdate } from '../../workflows/revoke/messages';
import { revokeKey } from '../../workflows/revokeKey';
import { approverKey, signatureBy, signersFor } from '../fixtures/approverKeys';
import { runCli, until } from '../fixtures/cli';
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

  it('a vote signed with a key revoked since the run started is refused by the running workflow, changing nothing', async function () {
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    // Revoked from a moment after the run starts: the running workflow judges each act by when it arrives.
    const revokedFrom = new Date(Date.now() + 3_000).toISOString();
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
      // A production worker signs its chains with its own key; the auditor holds its public half.
      evidence: {
        directory: options.evidenceDir,
        signingKeyFile: ensureSigningKeyFile(path.join(options.evidenceDir, 'worker-key.pem')),
      },
    };
    const workerConfig = (file: string, revokedKeys: object[]) => {
      fs.writeFileSync(
        file,
        JSON.stringify({
          approvals: { ...options.config!.approvals, revokedKeys },
          evidence: {
            publicKey: fs.readFileSync(path.join(options.evidenceDir, 'worker-key.pem.pub'), 'utf8'),
          },
        }),
      );
      return file;
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
        const wait = Date.parse(revokedFrom) + 500 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
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

        // The record says from when Bob's key is revoked, and verifies against the worker's configuration;
        // a configuration revoking Alice's key before her vote refuses it.
        const folder = path.join(options.evidenceDir, folderFor(workflowId), runId);
        const md = await until('the evidence record', async () =>
          fs.existsSync(path.join(folder, 'evidence.md'))
            ? fs.readFileSync(path.join(folder, 'evidence.md'), 'utf8')
            : undefined,
        );
        assert.ok(
          md.includes(
            `- Revoked approver key \`${approverKey(bob).publicKey}\` from ${revokedFrom} (laptop stolen)`,
          ),
          md,
        );
        const env = { EKM_EVIDENCE_DIR: options.evidenceDir };
        const cfgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-revoked-cfg-'));
        const good = await runCli(
          [
            'evidence',
            'verify',
            workflowId,
            '--run-id',
            runId,
            '--config',
            workerConfig(path.join(cfgDir, 'w.json'), []),
          ],
          env,
        );
        assert.equal(good.code, 0, good.stderr);
        assert.match(
          good.stdout,
          /a production chain.*1 signed act\(s\) verified against the approvers' keys in the configuration/,
        );
        const aliceRevoked = workerConfig(path.join(cfgDir, 'a.json'), [
          { key: approverKey(alice).publicKey, from: revokedFrom, reason: 'left the company' },
        ]);
        const refused = await runCli(
          ['evidence', 'verify', workflowId, '--run-id', runId, '--config', aliceRevoked],
          env,
        );
        assert.equal(refused.code, 1, refused.stdout);
        assert.match(
          refused.stderr,
          /the reject by alice@example.com on gate revoke-\d+ at \S+ is signed with ed25519:[0-9a-f]{12}…, revoked from .* \(left the company\)/,
        );
        fs.rmSync(cfgDir, { recursive: true, force: true });
      },
      options,
    );
  });
});
