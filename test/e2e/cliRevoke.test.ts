// The revocation runbook driven only through the `ekm` binary, as a security engineer and two approvers
// would: plan, start, the one-run-per-key lock, status, refused and accepted votes (Update and Signal), the
// awaiting list, cancel before the revoke, the evidence, and a rejected archive undone by `ekm restore`.
// On the dev server with a sandbox worker, moto and the OpenAI twin.
import assert from 'node:assert/strict';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { WorkflowNotFoundError } from '@temporalio/client';
import { freePort } from '../../sandbox/ports';
import { keyWorkflowId } from '../../common/workflowIds';
import { type AwsRevokeKeyInput } from '../../providers/aws/request';
import type { RunStatus } from '../../providers/runStatus';
import { revokeFlagsFor, runCli, ok, until } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, requester, sandboxWorker } from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import { call, type TwinWorld } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const ui = 'http://ui.test:8233';

type StatusJson = RunStatus & { execution: { status: string; type: string } };

describe('ekm CLI: the revocation runbook', function () {
  let env: NodeJS.ProcessEnv;
  let world: TwinWorld | undefined;
  const cli = (args: string[], more: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...more });

  before(async function () {
    env = {
      TEMPORAL_ADDRESS: (await devServer()).address,
      TEMPORAL_NAMESPACE: 'default',
      EKM_UI_URL: ui,
      EKM_USER: requester,
    };
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('bad flags exit 2 naming the flag and the fix, before Temporal is contacted', async function () {
    const request: AwsRevokeKeyInput = {
      provider: 'aws',
      keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      roleArn: 'arn:aws:iam::111122223333:role/openai-ekm',
      method: 'key-policy-deny',
      externalKeyId: 'extkey_abc',
      projectIds: ['proj_a'],
      probes: [{ projectId: 'proj_a', kind: 'model', id: 'ft:gpt-4o-mini:org:name:abc' }],
      requester,
      reason: 'rehearsal',
      changeTicket: 'CHG-1',
    };
    const base = revokeFlagsFor(request, 'nobody');
    const replace = (flag: string, value: string) => {
      const i = base.indexOf(flag);
      return [...base.slice(0, i), flag, value, ...base.slice(i + 2)];
    };
    // A port nobody listens on: reaching Temporal would exit 3, so exit 2 shows nothing was contacted.
    const nowhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
    const cases: [string[], RegExp][] = [
      [replace('--method', 'alias-repoint'), /--method: is refused: switching an alias/],
      [replace('--method', 'delete-it'), /--method: must be one of: remove-trust, /],
      [
        replace('--role', 'arn:aws:iam::999999999999:role/x'),
        /--role: is in account 999999999999 but the key/,
      ],
      [
        [...base, '--probe', 'proj_other:file:file-1'],
        /--probe proj_other:file:file-1: proj_other is not one of the --project values/,
      ],
      [[...base, '--probe', 'proj_a-file-1'], /--probe proj_a-file-1: must be PROJECT:KIND:ID/],
      [[...base, '--delete-after-days', '3'], /--delete-after-days: must be at least 7 days/],
      [
        base.filter((_, i) => i !== base.indexOf('--reason') && i !== base.indexOf('--reason') + 1),
        /--reason: is required/,
      ],
      [replace('--key', 'arn:aws:s3:::bucket'), /--key: is not an AWS KMS key reference/],
    ];
    for (const [n, [args, expected]] of cases.entries()) {
      // `plan` and `start` share the flags and their checks: both are tried once, then `start` only.
      for (const command of n === 0 ? ['plan', 'start'] : ['start']) {
        const run = await cli(['revoke', command, ...args], nowhere);
        assert.equal(run.code, 2, `${args.join(' ')}\n${run.stderr}`);
        assert.match(run.stderr, expected);
      }
    }
    // And with Temporal reachable, still nothing was started for that key.
    const { client } = await devEnvironment();
    await assert.rejects(
      client.workflow.getHandle(keyWorkflowId(request.keyArn)).describe(),
      WorkflowNotFoundError,
    );
    const vote = await cli(['approve', 'ekm-key:x', '--as', 'alice@example.com', '--plan', 'abc']);
    assert.equal(vote.code, 2);
    assert.match(vote.stderr, /--plan: "abc" is not a plan hash/);
  });

  it('plan, start, one run per key, status, refused and accepted votes, list, cancel, evidence', async function () {
    this.timeout(300_000);
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    const worker = sandboxWorker(w);
    const keyArn = request.keyArn;
    const workflowId = keyWorkflowId(keyArn);
    const withEvidence = { EKM_EVIDENCE_DIR: worker.evidenceDir };
    await withWorker(
      await devEnvironment(),
      async ({ taskQueue }) => {
        const flags = revokeFlagsFor(request, taskQueue);
        const status = async (runId?: string): Promise<StatusJson> =>
          JSON.parse(
            ok(await cli(['status', workflowId, '--json', ...(runId ? ['--run-id', runId] : [])]), 'status')
              .stdout,
          ) as StatusJson;
        const gateOpen = (kind: string) =>
          until(`the ${kind} gate`, async () => {
            const s = await status();
            if (s.endState) throw new Error(`the run ended ${s.endState}: ${s.endReason}`);
            return s.openGate?.kind === kind ? s.openGate : undefined;
          });

        // --- plan: resolves the alias on the worker, prints the plan, changes nothing ---------------------
        const policyBefore = await keyPolicy(w);
        const planned = JSON.parse(
          ok(
            await cli([
              'revoke',
              'plan',
              ...revokeFlagsFor(request, taskQueue, { key: w.demo.aws.keyAlias }),
              '--json',
            ]),
            'plan',
          ).stdout,
        ) as {
          workflowId: string;
          endState: string;
          request: { keyArn: string };
          plan: { hash: string; changes: string[] };
        };
        assert.equal(planned.endState, 'planned');
        assert.equal(planned.request.keyArn, keyArn, 'the alias is resolved to the key ARN');
        assert.ok(planned.workflowId.startsWith(`ekm-plan:${keyArn}:`));
        assert.match(planned.plan.hash, /^[0-9a-f]{64}$/);
        assert.ok(
          planned.plan.changes.some((c) => /key-policy|Deny|deny/i.test(c)),
          planned.plan.changes.join('\n'),
        );
        assert.equal(await keyPolicy(w), policyBefore);
        assert.equal(await validateStatus(w), 200);

        // --- a run cancelled before the revoke ends `cancelled`, having changed nothing -------------------
        const first = JSON.parse(ok(await cli(['revoke', 'start', ...flags, '--json']), 'start').stdout) as {
          runId: string;
        };
        await gateOpen('revoke');
        const cancelled = JSON.parse(
          ok(await cli(['cancel', workflowId, '--wait', '--json']), 'cancel').stdout,
        ) as { zone: string; meaning: string; endState: string };
        assert.equal(cancelled.zone, 'before-change');
        assert.match(cancelled.meaning, /nothing has been changed/);
        assert.equal(cancelled.endState, 'cancelled');
        const closed = await status(first.runId);
        assert.equal(closed.endState, 'cancelled');
        assert.equal(closed.execution.status, 'CANCELLED');
        assert.equal(await keyPolicy(w), policyBefore);

        // --- start: ids and the Web UI link -------------------------------------------------------------
        const started = JSON.parse(
          ok(await cli(['revoke', 'start', ...flags, '--json']), 'start').stdout,
        ) as {
          workflowId: string;
          runId: string;
          link: string;
        };
        assert.equal(started.workflowId, workflowId);
        assert.notEqual(started.runId, first.runId);
        assert.equal(
          started.link,
          `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${started.runId}/history`,
        );

        // --- a second start for the same key is refused, naming the running run ------------------------
        const again = await cli(['revoke', 'start', ...flags]);
        assert.equal(again.code, 4, again.stderr);
        assert.match(again.stderr, /already has a run in progress/);
        assert.ok(again.stderr.includes(started.runId), again.stderr);

        // --- status shows the open gate, its plan and who may vote --------------------------------------
        const gate = await gateOpen('revoke');
        const shown = ok(await cli(['status', workflowId]), 'status').stdout;
        assert.match(shown, new RegExp(`open gate  ${gate.gateId} \\(revoke\\) for plan ${gate.planHash}`));
        assert.match(shown, /approvers alice@example\.com, bob@example\.com: 0\/1 approval/);
        // What the gate authorises, action by action (issue 16): the hash above commits to them.
        assert.match(shown, new RegExp(`it covers plan ${gate.plans![0]!}`));
        assert.match(shown, /it authorises exactly these actions[^\n]*\n +- revoke access \(/);
        assert.match(shown, /waiting +Approval to revoke/);
        const short = gate.planHash.slice(0, 12);

        // --- votes the run (or the CLI) refuses ---------------------------------------------------------
        const own = await cli(['approve', workflowId, '--as', requester, '--plan', short]);
        assert.equal(own.code, 4, own.stderr);
        assert.match(own.stderr, /the run refused the vote: .*cannot approve it \(separation of duties\)/);
        const unseen = await cli(['approve', workflowId, '--as', approvers[0]!, '--plan', '0123456789ab']);
        assert.equal(unseen.code, 4, unseen.stderr);
        assert.match(unseen.stderr, /--plan 0123456789ab is not the plan of the open gate revoke-\d+/);
        assert.ok(unseen.stdout.includes(gate.planHash), 'the open plan is printed for review');

        // --- the run is listed as awaiting approval, and not as awaiting a task ------------------------
        await until(
          'the run in `ekm list --awaiting approval`',
          async () => {
            const rows = JSON.parse(
              ok(await cli(['list', '--awaiting', 'approval', '--json']), 'list').stdout,
            ) as { workflowId: string; runId: string; awaiting: string[] }[];
            const row = rows.find((r) => r.runId === started.runId);
            return row?.awaiting.includes('approval:revoke') ? row : undefined;
          },
          30_000,
        );
        const tasks = JSON.parse(ok(await cli(['list', '--awaiting', 'task', '--json']), 'list').stdout) as {
          runId: string;
        }[];
        assert.ok(!tasks.some((r) => r.runId === started.runId));

        // --- an approver approves: the run revokes, verifies, and opens the archive gate ---------------
        const approved = ok(
          await cli(['approve', workflowId, '--as', approvers[0]!, '--plan', short]),
          'approve',
        );
        assert.match(approved.stdout, /the gate is approved/);
        const archive = await gateOpen('archive');
        assert.equal(await validateStatus(w), 400, 'OpenAI can no longer use the key');

        // The second approver votes by Signal (as a tool that only signals would); the CLI reads the result.
        ok(
          await cli([
            'approve',
            workflowId,
            '--as',
            approvers[1]!,
            '--plan',
            archive.planHash.slice(0, 16),
            '--signal',
            '--comment',
            'archive reviewed',
          ]),
          'approve --signal',
        );

        // --- watch it to the end ------------------------------------------------------------------------
        const watched = ok(await cli(['status', workflowId, '--watch', '--json']), 'status --watch');
        const lines = watched.stdout.trim().split('\n');
        const end = JSON.parse(lines.at(-1)!) as StatusJson;
        assert.equal(end.endState, 'archived', end.endReason);
        assert.equal(end.execution.status, 'COMPLETED');

        // --- the evidence shows both approvals ----------------------------------------------------------
        const md = ok(await cli(['evidence', workflowId, '--format', 'md'], withEvidence), 'evidence').stdout;
        assert.match(md, /End state: \*\*archived\*\*/);
        assert.match(md, new RegExp(`approve by ${approvers[0]} at \\S+ \\(update`));
        assert.match(md, new RegExp(`approve by ${approvers[1]} at \\S+ \\(signal.*archive reviewed`));
        assert.match(md, /<!-- from the evidence record -->/);
        const json = JSON.parse(
          ok(
            await cli(['evidence', workflowId, '--format', 'json', '--run-id', first.runId], withEvidence),
            'evidence',
          ).stdout,
        ) as RunStatus;
        assert.equal(json.endState, 'cancelled');

        // Closed: a cancel is refused, naming how the run ended.
        const late = await cli(['cancel', workflowId]);
        assert.equal(late.code, 4);
        assert.match(late.stderr, /has already ended \(archived\)/);
      },
      worker,
    );
  });

  it('reject at the archive gate, then restore: refused while the revocation runs, then its own gate', async function () {
    this.timeout(300_000);
    const w = (world = await awsScenario.world('key-policy-deny', 2));
    const request = awsScenario.request(w, 'key-policy-deny');
    const workflowId = keyWorkflowId(request.keyArn);
    await withWorker(
      await devEnvironment(),
      async ({ taskQueue }) => {
        const status = async (): Promise<StatusJson> =>
          JSON.parse(ok(await cli(['status', workflowId, '--json']), 'status').stdout) as StatusJson;
        const gateOpen = (kind: string) =>
          until(`the ${kind} gate`, async () => {
            const s = await status();
            if (s.endState) throw new Error(`the run ended ${s.endState}: ${s.endReason}`);
            return s.openGate?.kind === kind ? s.openGate : undefined;
          });
        const watchToEnd = async () => {
          const out = ok(await cli(['status', workflowId, '--watch', '--json']), 'status --watch').stdout;
          return JSON.parse(out.trim().split('\n').at(-1)!) as StatusJson;
        };
        const restoreFlags = ['--reason', 'the rehearsal is over', '--ticket', 'CHG-4243'];

        const revocation = JSON.parse(
          ok(await cli(['revoke', 'start', ...revokeFlagsFor(request, taskQueue), '--json']), 'start').stdout,
        ) as { runId: string };
        const revokeGate = await gateOpen('revoke');
        const early = await cli(['restore', workflowId, ...restoreFlags]);
        assert.equal(early.code, 4, early.stderr);
        assert.match(early.stderr, /is still running: cancel it first \(`ekm cancel /);

        ok(
          await cli([
            'approve',
            workflowId,
            '--as',
            approvers[0]!,
            '--plan',
            revokeGate.planHash.slice(0, 12),
          ]),
          'approve',
        );
        const archive = await gateOpen('archive');
        const rejected = ok(
          await cli(['reject', workflowId, '--as', approvers[1]!, '--plan', archive.planHash.slice(0, 12)]),
          'reject',
        );
        assert.match(rejected.stdout, /the gate is rejected/);
        assert.equal((await watchToEnd()).endState, 'revoked-verified');
        assert.equal(await validateStatus(w), 400);

        // The restore runs on the revocation's task queue by default (its worker kept the snapshot).
        const restore = JSON.parse(
          ok(await cli(['restore', workflowId, ...restoreFlags, '--json']), 'restore').stdout,
        ) as {
          workflowId: string;
          runId: string;
          restores: { runId: string };
        };
        assert.equal(restore.workflowId, workflowId);
        assert.equal(restore.restores.runId, revocation.runId);
        const restoreGate = await gateOpen('restore');
        assert.equal((await status()).restores?.runId, revocation.runId);
        const own = await cli(['approve', workflowId, '--as', requester, '--plan', restoreGate.planHash]);
        assert.equal(own.code, 4);
        assert.match(own.stderr, /separation of duties/);
        ok(
          await cli([
            'approve',
            workflowId,
            '--as',
            approvers[1]!,
            '--plan',
            restoreGate.planHash.slice(0, 12),
          ]),
          'approve the restore',
        );
        const restored = await watchToEnd();
        assert.equal(restored.endState, 'restored', restored.endReason);
        assert.equal(await validateStatus(w), 200, 'OpenAI can use the key again');
      },
      sandboxWorker(w),
    );
  });
});

async function keyPolicy(w: TwinWorld): Promise<string | undefined> {
  return (await w.kms.send(new GetKeyPolicyCommand({ KeyId: w.demo.aws.keyId, PolicyName: 'default' })))
    .Policy;
}

async function validateStatus(w: TwinWorld): Promise<number> {
  const { externalKeyId } = w.demo.openai;
  return (
    await call(
      w.twin.url,
      'POST',
      `/v1/organization/external_keys/${externalKeyId}/validate`,
      w.demo.openai.adminKey,
    )
  ).status;
}
