// The revocation runbook driven only through the `ekm` binary, as a security engineer and two approvers
// would, once per cloud (test/fixtures/providers/cliRevoke.ts holds each cloud's flags, refusals and how
// its key is read back): bad flags refused before Temporal is contacted; `ekm revoke plan` (prints the
// plan, changes nothing on the key); a run cancelled before the revoke; start, the one-run-per-key lock,
// status, refused and accepted votes (Update and Signal; unsigned on one cloud's row, signed with key files
// on the other's), the awaiting list, the evidence, and `ekm list` naming each cloud's key under its own
// field. What a person cares about is checked where it lives: the key in moto or the Cloud KMS fake (read
// through the real clients) and the OpenAI twin's validate. Last, AWS only: a rejected archive undone by
// `ekm restore` (Google Cloud's is test/e2e/restoreGcp.test.ts). On the dev server with a sandbox worker.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { freePort } from '../../sandbox/ports';
import { keyWorkflowId } from '../../common/workflowIds';
import type { RunStatus } from '../../providers/runStatus';
import { EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import { signersFor } from '../fixtures/approverKeys';
import { revokeFlagsFor, runCli, ok, signingKeyFile, until } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { awsCli, cliProviders, type CliWorld, type FlagEdits } from '../fixtures/providers/cliRevoke';
import { approvers, requester } from '../fixtures/revoke';
import { devServer } from '../fixtures/services';
import { call } from '../fixtures/twin';
import { withWorker } from '../fixtures/worker';

const ui = 'http://ui.test:8233';
const [alice, bob] = approvers as [string, string];

type StatusJson = RunStatus & { execution: { status: string; type: string } };
interface ListRow {
  workflowId: string;
  runId: string;
  type: string;
  provider: string;
  keyArn?: string | null;
  keyName?: string | null;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function flagEdits(base: string[]): FlagEdits {
  return {
    base,
    replace(flag, value) {
      const i = base.indexOf(flag);
      return [...base.slice(0, i), flag, value, ...base.slice(i + 2)];
    },
    without(flag) {
      const i = base.indexOf(flag);
      return [...base.slice(0, i), ...base.slice(i + 2)];
    },
  };
}

describe('ekm CLI: the revocation runbook', function () {
  let env: NodeJS.ProcessEnv;
  let world: CliWorld | undefined;
  let keyDir: string | undefined;
  const cli = (args: string[], more: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...more });
  const listed = async (): Promise<ListRow[]> =>
    JSON.parse(ok(await cli(['list', '--json']), 'list').stdout) as ListRow[];

  before(async function () {
    env = {
      TEMPORAL_ADDRESS: (await devServer()).address,
      TEMPORAL_NAMESPACE: 'default',
      EKM_UI_URL: ui,
      EKM_USER: requester,
    };
  });
  afterEach(async () => {
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    keyDir = undefined;
    await world?.close();
    world = undefined;
  });

  it('a vote names its plan by a hash: anything else exits 2', async function () {
    const vote = await cli(['approve', 'ekm-key:x', '--as', alice, '--plan', 'abc']);
    assert.equal(vote.code, 2);
    assert.match(vote.stderr, /--plan: "abc" is not a plan hash/);
  });

  for (const p of cliProviders) {
    describe(`[${p.provider}]`, function () {
      it('bad flags exit 2 naming the flag and the fix, before Temporal is contacted; nothing is started', async function () {
        const { request, key, unique } = p.unusedRequest();
        const cases = p.badFlags(flagEdits(revokeFlagsFor(request, 'nobody')), request);
        // A port nobody listens on: reaching Temporal would exit 3, so exit 2 shows nothing was contacted.
        const nowhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
        for (const [n, [args, expected]] of cases.entries()) {
          // `plan` and `start` share the flags and their checks: both are tried once, then `start` only.
          for (const command of n === 0 ? ['plan', 'start'] : ['start']) {
            const run = await cli(['revoke', command, ...args], nowhere);
            assert.equal(run.code, 2, `${args.join(' ')}\n${run.stderr}`);
            assert.match(run.stderr, expected, args.join(' '));
            assert.equal(run.stdout, '', 'no workflow id, no link: nothing was started');
          }
        }
        // With Temporal reachable: no run for that key, and none under a mangled id in `ekm list`.
        const { client } = await devEnvironment();
        await assert.rejects(client.workflow.getHandle(keyWorkflowId(key)).describe(), WorkflowNotFoundError);
        const rows = await listed();
        assert.ok(
          !rows.some((r) => r.workflowId.includes(unique)),
          JSON.stringify(rows.filter((r) => r.workflowId.includes(unique))),
        );
        assert.ok(!rows.some((r) => r.keyName === key || r.keyArn === key));
      });

      it('plan, start, one run per key, status, refused and accepted votes, list, cancel, evidence', async function () {
        this.timeout(300_000);
        const w = (world = await p.world());
        const workflowId = keyWorkflowId(w.key);
        const worker = w.worker;
        // Signed on this row: the requester signs the start, so the worker knows the requester's key too.
        const keys = p.signed ? (keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-cli-keys-'))) : '';
        const signing = (who: string) => (p.signed ? ['--signing-key', signingKeyFile(keys, who)] : []);
        if (p.signed)
          worker.config = {
            ...worker.config,
            approvals: { ...worker.config!.approvals, signers: signersFor([...approvers, requester]) },
          };
        const withEvidence = { EKM_EVIDENCE_DIR: worker.evidenceDir };
        const { client } = await devEnvironment();
        await withWorker(
          await devEnvironment(),
          async ({ taskQueue }) => {
            const flags = revokeFlagsFor(w.request, taskQueue);
            const status = async (runId?: string): Promise<StatusJson> =>
              JSON.parse(
                ok(
                  await cli(['status', workflowId, '--json', ...(runId ? ['--run-id', runId] : [])]),
                  'status',
                ).stdout,
              ) as StatusJson;
            // The run's status once the gate is open (its plan among the rest), and the gate.
            const atGate = (kind: string) =>
              until(`the ${kind} gate`, async () => {
                const s = await status();
                if (s.endState) throw new Error(`the run ended ${s.endState}: ${s.endReason}`);
                return s.openGate?.kind === kind ? { ...s, openGate: s.openGate } : undefined;
              });
            const gateOpen = async (kind: string) => (await atGate(kind)).openGate;

            // --- plan: resolves the key on the worker, prints the plan, changes nothing on the key ---------
            const accessBefore = await w.access();
            const planKey = p.planKey?.(w);
            const planned = JSON.parse(
              ok(
                await cli([
                  'revoke',
                  'plan',
                  ...revokeFlagsFor(w.request, taskQueue, planKey ? { key: planKey } : {}),
                  '--json',
                ]),
                'plan',
              ).stdout,
            ) as {
              workflowId: string;
              endState: string;
              request: { provider: string; keyArn?: string; keyName?: string };
              plan: { hash: string; changes: string[] };
            };
            assert.equal(planned.endState, 'planned');
            assert.equal(planned.request.provider, p.provider);
            assert.equal(planned.request[p.keyField], w.key, 'the key as given is resolved to the key');
            assert.ok(planned.workflowId.startsWith(`ekm-plan:${w.key}:`), planned.workflowId);
            assert.match(planned.plan.hash, /^[0-9a-f]{64}$/);
            assert.ok(
              planned.plan.changes.some((c) => p.isKeyChange(w, c)),
              planned.plan.changes.join('\n'),
            );
            if (p.drives.humanPlan) {
              const human = ok(await cli(['revoke', 'plan', ...flags]), 'plan (human)').stdout;
              assert.match(human, /nothing was changed: this was a plan-only run/);
              assert.ok(
                human.includes(planned.plan.hash),
                'the same flags on an unchanged world: the same hash',
              );
            }
            assert.deepEqual(await w.access(), accessBefore, 'the plan changed nothing on the key');
            assert.equal(await w.validateStatus(), 200, 'OpenAI still uses the key');

            // --- a run cancelled before the revoke ends `cancelled`, having changed nothing ---------------
            let first: { runId: string } | undefined;
            if (p.drives.cancelBeforeRevoke) {
              first = JSON.parse(
                ok(await cli(['revoke', 'start', ...flags, ...signing(requester), '--json']), 'start').stdout,
              ) as { runId: string };
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
              assert.deepEqual(await w.access(), accessBefore);
            }

            // --- start: ids and the Web UI link -----------------------------------------------------------
            const started = JSON.parse(
              ok(await cli(['revoke', 'start', ...flags, ...signing(requester), '--json']), 'start').stdout,
            ) as { workflowId: string; runId: string; link: string };
            assert.equal(started.workflowId, workflowId);
            assert.notEqual(started.runId, first?.runId);
            assert.equal(
              started.link,
              `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${started.runId}/history`,
            );

            // --- a second start for the same key is refused, naming the running run ----------------------
            const again = await cli(['revoke', 'start', ...flags, ...signing(requester)]);
            assert.equal(again.code, 4, again.stderr);
            assert.match(again.stderr, /already has a run in progress/);
            assert.ok(again.stderr.includes(started.runId), again.stderr);

            // --- status shows the open gate, its plan and who may vote ------------------------------------
            const atRevoke = await atGate('revoke');
            const gate = atRevoke.openGate;
            // Approvers vote on the plan `ekm revoke plan` printed: the same changes and the same hash (a
            // signed start's signature is not part of the plan).
            assert.deepEqual(atRevoke.plan?.changes, planned.plan.changes);
            // The gate lists that plan; what the vote signs is the gate's hash over it and its actions.
            assert.deepEqual(gate.plans, [planned.plan.hash]);
            const shown = ok(await cli(['status', workflowId]), 'status').stdout;
            assert.ok(shown.includes(`request    ${p.method} on ${w.key}`), shown);
            assert.match(
              shown,
              new RegExp(`open gate  ${gate.gateId} \\(revoke\\) for plan ${gate.planHash}`),
            );
            assert.match(shown, /approvers alice@example\.com, bob@example\.com: 0\/1 approval/);
            // What the gate authorises, action by action (issue 16): the hash above commits to them.
            assert.match(shown, new RegExp(`it covers plan ${gate.plans![0]!}`));
            assert.match(shown, /it authorises exactly these actions[^\n]*\n +- revoke access \(/);
            assert.match(shown, /waiting +Approval to revoke/);
            const short = gate.planHash.slice(0, 12);

            // --- votes the run (or the CLI) refuses -------------------------------------------------------
            const own = await cli([
              'approve',
              workflowId,
              '--as',
              requester,
              '--plan',
              short,
              ...signing(requester),
            ]);
            assert.equal(own.code, 4, own.stderr);
            assert.match(
              own.stderr,
              /the run refused the vote: .*cannot approve it \(separation of duties\)/,
            );
            const unseen = await cli([
              'approve',
              workflowId,
              '--as',
              alice,
              '--plan',
              '0123456789ab',
              ...signing(alice),
            ]);
            assert.equal(unseen.code, 4, unseen.stderr);
            assert.match(unseen.stderr, /--plan 0123456789ab is not the plan of the open gate revoke-\d+/);
            assert.ok(unseen.stdout.includes(gate.planHash), 'the open plan is printed for review');
            assert.deepEqual(await w.access(), accessBefore, 'a refused vote changes nothing');

            // --- the run is listed as awaiting approval, and not as awaiting a task ----------------------
            if (p.drives.awaitingList) {
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
              const tasks = JSON.parse(
                ok(await cli(['list', '--awaiting', 'task', '--json']), 'list').stdout,
              ) as { runId: string }[];
              assert.ok(!tasks.some((r) => r.runId === started.runId));
            }

            // --- an approver approves: the run revokes, verifies, and opens the archive gate -------------
            const approved = ok(
              await cli(['approve', workflowId, '--as', alice, '--plan', short, ...signing(alice)]),
              'approve',
            );
            assert.match(approved.stdout, /the gate is approved/);
            assert.match(
              approved.stdout,
              p.signed ? /signed with key file/ : /unsigned \(only a sandbox worker takes it\)/,
            );
            const archive = await gateOpen('archive');
            await w.assertRevoked(accessBefore);
            assert.equal(await w.validateStatus(), 400, 'OpenAI can no longer use the key');

            // The second approver votes by Signal (as a tool that only signals would); the CLI reads the
            // result. A signed row's key file comes from the environment, as a tool would hand it.
            ok(
              await cli(
                [
                  'approve',
                  workflowId,
                  '--as',
                  bob,
                  '--plan',
                  archive.planHash.slice(0, 16),
                  '--signal',
                  '--comment',
                  'archive reviewed',
                ],
                p.signed ? { EKM_SIGNING_KEY_FILE: signingKeyFile(keys, bob) } : {},
              ),
              'approve --signal',
            );

            // --- watch it to the end ----------------------------------------------------------------------
            const watched = ok(await cli(['status', workflowId, '--watch', '--json']), 'status --watch');
            const end = JSON.parse(watched.stdout.trim().split('\n').at(-1)!) as StatusJson;
            assert.equal(end.endState, 'archived', end.endReason);
            assert.equal(end.execution.status, 'COMPLETED');
            assert.deepEqual(
              end.gates.flatMap((g) => g.votes).map((v) => [v.approver, v.decision, v.authenticated]),
              [
                [alice, 'approve', p.signed],
                [bob, 'approve', p.signed],
              ],
              p.signed ? 'both votes were signed and verified' : 'both votes were taken on trust',
            );
            assert.equal(Boolean(end.request.signature), p.signed, 'a signed start is part of the record');
            for (const project of w.projectIds) {
              const answer = await call(w.twinUrl, 'GET', `/v1/organization/projects/${project}`, w.adminKey);
              assert.equal((answer.body as { status: string }).status, 'archived');
            }
            await w.assertRevoked(accessBefore);
            assert.equal(await w.validateStatus(), 400);
            assert.match(ok(await cli(['status', workflowId]), 'status').stdout, /ended {6}archived/);

            // --- the evidence, as an auditor reads it: the same record on every cloud ---------------------
            const md = ok(
              await cli(['evidence', workflowId, '--format', 'md'], withEvidence),
              'evidence',
            ).stdout;
            assert.match(md, /End state: \*\*archived\*\*/);
            for (const name of p.evidenceNames(w)) assert.match(md, name);
            assert.match(md, new RegExp(`approve by ${escape(alice)} at \\S+ \\(update`));
            assert.match(md, new RegExp(`approve by ${escape(bob)} at \\S+ \\(signal.*archive reviewed`));
            assert.match(md, /<!-- from the evidence record -->/);
            if (first) {
              const json = JSON.parse(
                ok(
                  await cli(
                    ['evidence', workflowId, '--format', 'json', '--run-id', first.runId],
                    withEvidence,
                  ),
                  'evidence',
                ).stdout,
              ) as RunStatus;
              assert.equal(json.endState, 'cancelled');
            }

            // --- list: each cloud's key under its own field ---------------------------------------------
            if (p.drives.listByField) {
              // A run of another cloud in visibility to compare with: never picked up (no worker polls its
              // queue), ended at once.
              const other = cliProviders.find((o) => o.provider !== p.provider)!;
              const otherKey = other.sampleKey();
              const neverRun = await client.workflow.start('revokeKey', {
                taskQueue: `nobody-${randomUUID()}`,
                workflowId: keyWorkflowId(otherKey),
                args: [{}],
                typedSearchAttributes: [
                  { key: EkmProvider, value: other.provider },
                  { key: EkmKeyId, value: otherKey },
                  { key: EkmStage, value: 'started' },
                ],
              });
              await neverRun.terminate('test: a listing row, never run');
              const rows = await until(
                'both runs in `ekm list`',
                async () => {
                  const all = await listed();
                  return all.some((r) => r.runId === started.runId) &&
                    all.some((r) => r.workflowId === neverRun.workflowId)
                    ? all
                    : undefined;
                },
                30_000,
              );
              const row = rows.find((r) => r.runId === started.runId)!;
              assert.equal(row.provider, p.provider);
              assert.equal(row[p.keyField], w.key);
              assert.ok(!(other.keyField in row), JSON.stringify(row));
              const planRow = rows.find((r) => r.workflowId === planned.workflowId)!;
              assert.equal(planRow[p.keyField], w.key, 'the plan-only run is listed under the key too');
              const otherRow = rows.find((r) => r.workflowId === neverRun.workflowId)!;
              assert.equal(otherRow.provider, other.provider);
              assert.equal(otherRow[other.keyField], otherKey);
              assert.ok(!(p.keyField in otherRow), JSON.stringify(otherRow));
              const table = ok(await cli(['list']), 'list').stdout;
              const block = (id: string) =>
                table
                  .slice(table.indexOf(`${id}  `))
                  .split('\n')
                  .slice(0, 3)
                  .join('\n');
              assert.match(
                block(workflowId),
                new RegExp(`revokeKey completed[^\\n]*\\n {4}${p.keyLabel} ${escape(w.key)}$`, 'm'),
              );
              assert.match(
                block(neverRun.workflowId),
                new RegExp(`\\n {4}${other.keyLabel} ${escape(otherKey)}$`, 'm'),
              );
            }

            // Closed: a cancel is refused, naming how the run ended.
            const late = await cli(['cancel', workflowId]);
            assert.equal(late.code, 4);
            assert.match(late.stderr, /has already ended \(archived\)/);
          },
          worker,
        );
      });
    });
  }

  // Google Cloud's restore through the binary is test/e2e/restoreGcp.test.ts, with the fake's versions.
  describe('[aws] only', function () {
    it('reject at the archive gate, then restore: refused while the revocation runs, then its own gate', async function () {
      this.timeout(300_000);
      const w = (world = await awsCli.world());
      const workflowId = keyWorkflowId(w.key);
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
            ok(await cli(['revoke', 'start', ...revokeFlagsFor(w.request, taskQueue), '--json']), 'start')
              .stdout,
          ) as { runId: string };
          const revokeGate = await gateOpen('revoke');
          const early = await cli(['restore', workflowId, ...restoreFlags]);
          assert.equal(early.code, 4, early.stderr);
          assert.match(early.stderr, /is still running: cancel it first \(`ekm cancel /);

          ok(
            await cli(['approve', workflowId, '--as', alice, '--plan', revokeGate.planHash.slice(0, 12)]),
            'approve',
          );
          const archive = await gateOpen('archive');
          const rejected = ok(
            await cli(['reject', workflowId, '--as', bob, '--plan', archive.planHash.slice(0, 12)]),
            'reject',
          );
          assert.match(rejected.stdout, /the gate is rejected/);
          assert.equal((await watchToEnd()).endState, 'revoked-verified');
          assert.equal(await w.validateStatus(), 400);

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
            await cli(['approve', workflowId, '--as', bob, '--plan', restoreGate.planHash.slice(0, 12)]),
            'approve the restore',
          );
          const restored = await watchToEnd();
          assert.equal(restored.endState, 'restored', restored.endReason);
          assert.equal(await w.validateStatus(), 200, 'OpenAI can use the key again');
        },
        w.worker,
      );
    });
  });
});
