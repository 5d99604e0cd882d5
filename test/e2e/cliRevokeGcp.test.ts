// A Google Cloud revocation driven only through the `ekm` binary, as a security engineer and two approvers
// would: bad flags refused before anything starts, `ekm revoke plan --provider gcp` (prints the plan,
// changes nothing on the key), a signed `ekm revoke start`, signed votes through `ekm approve`, then
// `ekm status` and `ekm list` (a Cloud KMS key listed as keyName, an AWS one as keyArn). What a person
// cares about is checked where it lives: OpenAI's binding on the Cloud KMS fake, read through the real
// @google-cloud/kms client, and the OpenAI twin's validate. On the dev server with a sandbox worker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyWorkflowId } from '../../common/workflowIds';
import { type GcpRevokeKeyInput } from '../../providers/gcp/request';
import type { RunStatus } from '../../providers/runStatus';
import { EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import { freePort } from '../../sandbox/ports';
import { signersFor } from '../fixtures/approverKeys';
import { revokeFlagsFor, runCli, ok, signingKeyFile, until } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import {
  approvers,
  gcpRevocation,
  requester,
  startGcpRevocationWorld,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
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

/** Who OpenAI's principal is bound to on the key, as Cloud KMS answers (the real client, the fake). */
async function rolesOfPrincipal(w: GcpRevocationWorld): Promise<string[]> {
  const [policy] = await w.gcp.iam.getIamPolicy({ resource: w.keyName });
  return (policy.bindings ?? []).filter((b) => b.members?.includes(w.principal)).map((b) => b.role!);
}

async function iamEtag(w: GcpRevocationWorld): Promise<string> {
  const [policy] = await w.gcp.iam.getIamPolicy({ resource: w.keyName });
  return Buffer.from(policy.etag as Uint8Array).toString('hex');
}

async function validateStatus(w: GcpRevocationWorld): Promise<number> {
  return (
    await call(w.twin.url, 'POST', `/v1/organization/external_keys/${w.externalKeyId}/validate`, w.adminKey)
  ).status;
}

describe('ekm CLI: a Google Cloud revocation', function () {
  let env: NodeJS.ProcessEnv;
  let world: GcpRevocationWorld | undefined;
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

  it('bad --provider gcp flags exit 2 naming the flag, and nothing is started', async function () {
    const keyName = `projects/customer-project/locations/global/keyRings/ring-${randomUUID().slice(0, 8)}/cryptoKeys/ekm-key`;
    const request: GcpRevokeKeyInput = {
      provider: 'gcp',
      keyName,
      principal:
        'principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/openai-ekm/subject/openai',
      method: 'remove-binding',
      externalKeyId: 'extkey_abc',
      projectIds: ['proj_a'],
      probes: [{ projectId: 'proj_a', kind: 'file', id: 'file-1' }],
      requester,
      reason: 'rehearsal',
      changeTicket: 'CHG-1',
    };
    const base = revokeFlagsFor(request, 'nobody');
    const replace = (flag: string, value: string) => {
      const i = base.indexOf(flag);
      return [...base.slice(0, i), flag, value, ...base.slice(i + 2)];
    };
    const without = (flag: string) => {
      const i = base.indexOf(flag);
      return [...base.slice(0, i), ...base.slice(i + 2)];
    };
    const cases: [string[], RegExp][] = [
      [replace('--key-name', 'ekm-key'), /--key-name: is not a Cloud KMS key name: give projects\//],
      [
        // A key ring is not a key: remove-binding must never be aimed at the ring's policy.
        replace('--key-name', keyName.replace(/\/cryptoKeys\/.*$/, '')),
        /--key-name: is not a Cloud KMS key name/,
      ],
      [
        [...base, '--key', 'alias/ekm-demo'],
        /--key: is for AWS keys; a Google Cloud key takes --key-name and --principal/,
      ],
      [[...base, '--role', 'arn:aws:iam::111122223333:role/openai-ekm'], /--role: is for AWS keys/],
      [without('--principal'), /--principal: is required/],
      [without('--key-name'), /--key-name: is required with --provider gcp/],
      [
        replace(
          '--principal',
          'principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*',
        ),
        /--principal: must be OpenAI's IAM principal/,
      ],
      [
        replace('--method', 'key-policy-deny'),
        /--method: must be one of: remove-binding, disable-versions \(key-policy-deny is an AWS method\)/,
      ],
    ];
    // A port nobody listens on: reaching Temporal would exit 3, so exit 2 shows nothing was contacted.
    const nowhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
    for (const command of ['plan', 'start']) {
      const run = await cli(['revoke', command, ...cases[0]![0]], nowhere);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, cases[0]![1]);
    }
    // With Temporal reachable, a start with each bad request is refused before it is sent…
    for (const [args, expected] of cases) {
      const run = await cli(['revoke', 'start', ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}\n${run.stderr}`);
      assert.match(run.stderr, expected, args.join(' '));
      assert.equal(run.stdout, '', 'no workflow id, no link: nothing was started');
    }
    // …and no run for the key (or under a mangled id) appears in `ekm list`.
    const rows = await listed();
    assert.ok(
      !rows.some((r) => r.workflowId.includes('ekm-key') && r.workflowId.includes(keyName.split('/')[5]!)),
      JSON.stringify(rows),
    );
    assert.ok(!rows.some((r) => r.keyName === keyName || r.keyArn === keyName));
  });

  it('plan, signed start, signed votes, status and list: OpenAI’s binding is gone and validate refuses', async function () {
    this.timeout(300_000);
    const w = (world = await startGcpRevocationWorld(2));
    const request = gcpRevocation.request(w, 'remove-binding') as GcpRevokeKeyInput;
    const workflowId = keyWorkflowId(w.keyName);
    // Private keys: removed when the test ends, whatever its outcome (afterEach below).
    const keys = (keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-gcp-keys-')));
    const keyOf = (who: string) => signingKeyFile(keys, who);
    const worker = w.worker();
    // The requester signs the start, so the worker knows the requester's key too.
    worker.config = {
      ...worker.config,
      approvals: { ...worker.config!.approvals, signers: signersFor([...approvers, requester]) },
    };
    const { client } = await devEnvironment();
    await withWorker(
      await devEnvironment(),
      async ({ taskQueue }) => {
        const flags = revokeFlagsFor(request, taskQueue);
        const status = async (): Promise<StatusJson> =>
          JSON.parse(ok(await cli(['status', workflowId, '--json']), 'status').stdout) as StatusJson;
        const gateOpen = (kind: string) =>
          until(`the ${kind} gate`, async () => {
            const s = await status();
            if (s.endState) throw new Error(`the run ended ${s.endState}: ${s.endReason}`);
            return s.openGate?.kind === kind ? s.openGate : undefined;
          });

        // --- plan: prints the change to the key's IAM policy, changes nothing on the fake -----------------
        const etagBefore = await iamEtag(w);
        const rolesBefore = await rolesOfPrincipal(w);
        assert.equal(rolesBefore.length, 1, 'the world binds OpenAI’s principal on the key');
        const planned = JSON.parse(ok(await cli(['revoke', 'plan', ...flags, '--json']), 'plan').stdout) as {
          workflowId: string;
          endState: string;
          request: { provider: string; keyName: string; principal: string };
          plan: { hash: string; changes: string[]; alsoStops: string[] };
        };
        assert.equal(planned.endState, 'planned');
        assert.equal(planned.request.provider, 'gcp');
        assert.equal(planned.request.keyName, w.keyName);
        assert.ok(planned.workflowId.startsWith(`ekm-plan:${w.keyName}:`), planned.workflowId);
        assert.match(planned.plan.hash, /^[0-9a-f]{64}$/);
        assert.ok(
          planned.plan.changes.some((c) =>
            c.startsWith(`IAM SetIamPolicy on ${w.keyName}: remove ${w.principal} from ${rolesBefore[0]}`),
          ),
          planned.plan.changes.join('\n'),
        );
        const human = ok(await cli(['revoke', 'plan', ...flags]), 'plan (human)').stdout;
        assert.match(human, /nothing was changed: this was a plan-only run/);
        assert.ok(human.includes(planned.plan.hash), 'the same flags on an unchanged world: the same hash');
        assert.equal(await iamEtag(w), etagBefore, 'the plan did not write the key’s IAM policy');
        assert.deepEqual(await rolesOfPrincipal(w), rolesBefore);
        assert.equal(await validateStatus(w), 200, 'OpenAI still uses the key');

        // --- start, signed by the requester ----------------------------------------------------------------
        const started = JSON.parse(
          ok(await cli(['revoke', 'start', ...flags, '--signing-key', keyOf(requester), '--json']), 'start')
            .stdout,
        ) as { workflowId: string; runId: string; link: string };
        assert.equal(started.workflowId, workflowId);
        assert.equal(
          started.link,
          `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${started.runId}/history`,
        );
        const again = await cli(['revoke', 'start', ...flags, '--signing-key', keyOf(requester)]);
        assert.equal(again.code, 4, again.stderr);
        assert.match(again.stderr, /already has a run in progress/);

        // --- the first gate shows the same plan; an approver signs her vote ------------------------------
        const gate = await gateOpen('revoke');
        // Approvers vote on the plan `ekm revoke plan` printed: the same changes and the same hash (a signed
        // start's signature is not part of the plan).
        assert.deepEqual((await status()).plan?.changes, planned.plan.changes);
        // The gate lists that plan; what the vote signs is the gate's hash over it and its actions.
        assert.deepEqual(gate.plans, [planned.plan.hash]);
        const shown = ok(await cli(['status', workflowId]), 'status').stdout;
        assert.ok(shown.includes(`request    remove-binding on ${w.keyName}`), shown);
        const own = await cli([
          'approve',
          workflowId,
          '--as',
          requester,
          '--plan',
          gate.planHash.slice(0, 12),
          '--signing-key',
          keyOf(requester),
        ]);
        assert.equal(own.code, 4, own.stderr);
        assert.match(own.stderr, /separation of duties/);
        assert.deepEqual(await rolesOfPrincipal(w), rolesBefore, 'a refused vote changes nothing');
        const approved = ok(
          await cli([
            'approve',
            workflowId,
            '--as',
            alice,
            '--plan',
            gate.planHash.slice(0, 12),
            '--signing-key',
            keyOf(alice),
          ]),
          'approve',
        );
        assert.match(approved.stdout, /the gate is approved/);
        assert.match(approved.stdout, /signed with key file/);

        // --- revoked: the binding is gone from the key's policy, and OpenAI's validate refuses ------------
        const archive = await gateOpen('archive');
        assert.deepEqual(await rolesOfPrincipal(w), [], 'OpenAI’s principal is off the key’s IAM policy');
        assert.notEqual(await iamEtag(w), etagBefore);
        assert.equal(await validateStatus(w), 400, 'OpenAI can no longer use the key');
        ok(
          await cli(['approve', workflowId, '--as', bob, '--plan', archive.planHash.slice(0, 12)], {
            EKM_SIGNING_KEY_FILE: keyOf(bob),
          }),
          'approve the archive',
        );

        // --- watch it to the end -------------------------------------------------------------------------
        const watched = ok(await cli(['status', workflowId, '--watch', '--json']), 'status --watch');
        const end = JSON.parse(watched.stdout.trim().split('\n').at(-1)!) as StatusJson;
        assert.equal(end.endState, 'archived', end.endReason);
        assert.equal(end.execution.status, 'COMPLETED');
        const votes = end.gates.flatMap((g) => g.votes);
        assert.deepEqual(
          votes.map((v) => [v.approver, v.decision, v.authenticated]),
          [
            [alice, 'approve', true],
            [bob, 'approve', true],
          ],
          'both votes were signed and verified',
        );
        assert.ok(end.request.signature, 'the signed start is part of the record');
        for (const project of w.projects) {
          const p = await call(w.twin.url, 'GET', `/v1/organization/projects/${project.id}`, w.adminKey);
          assert.equal((p.body as { status: string }).status, 'archived');
        }
        assert.deepEqual(await rolesOfPrincipal(w), []);
        assert.equal(await validateStatus(w), 400);
        const closed = ok(await cli(['status', workflowId]), 'status').stdout;
        assert.match(closed, /ended {6}archived/);

        // --- the evidence, as an auditor reads it: the same record as for an AWS key ---------------------
        const withEvidence = { EKM_EVIDENCE_DIR: worker.evidenceDir };
        const md = ok(await cli(['evidence', workflowId, '--format', 'md'], withEvidence), 'evidence').stdout;
        assert.match(md, /End state: \*\*archived\*\*/);
        assert.match(md, new RegExp(escape(w.keyName)));
        assert.match(md, new RegExp(`principal: ${escape(w.principal)}`));
        assert.match(md, new RegExp(`approve by ${escape(alice)} at \\S+ \\(update`));
        assert.match(md, /<!-- from the evidence record -->/);

        // --- list: the Cloud KMS key as keyName; an AWS run keeps keyArn --------------------------------
        // An AWS run in visibility to compare with: never picked up (no worker polls its queue), ended at once.
        const awsKey = `arn:aws:kms:us-east-1:111122223333:key/${randomUUID()}`;
        const aws = await client.workflow.start('revokeKey', {
          taskQueue: `nobody-${randomUUID()}`,
          workflowId: keyWorkflowId(awsKey),
          args: [{}],
          typedSearchAttributes: [
            { key: EkmProvider, value: 'aws' },
            { key: EkmKeyId, value: awsKey },
            { key: EkmStage, value: 'started' },
          ],
        });
        await aws.terminate('test: a listing row, never run');
        const rows = await until(
          'both runs in `ekm list`',
          async () => {
            const all = await listed();
            return all.some((r) => r.runId === started.runId) &&
              all.some((r) => r.workflowId === aws.workflowId)
              ? all
              : undefined;
          },
          30_000,
        );
        const gcpRow = rows.find((r) => r.runId === started.runId)!;
        assert.equal(gcpRow.provider, 'gcp');
        assert.equal(gcpRow.keyName, w.keyName);
        assert.ok(!('keyArn' in gcpRow), JSON.stringify(gcpRow));
        const planRow = rows.find((r) => r.workflowId === planned.workflowId)!;
        assert.equal(planRow.keyName, w.keyName, 'the plan-only run is listed under the key too');
        const awsRow = rows.find((r) => r.workflowId === aws.workflowId)!;
        assert.equal(awsRow.provider, 'aws');
        assert.equal(awsRow.keyArn, awsKey);
        assert.ok(!('keyName' in awsRow), JSON.stringify(awsRow));
        const table = ok(await cli(['list']), 'list').stdout;
        const block = (id: string) =>
          table
            .slice(table.indexOf(`${id}  `))
            .split('\n')
            .slice(0, 3)
            .join('\n');
        assert.match(
          block(workflowId),
          new RegExp(`revokeKey completed[^\\n]*\\n {4}Cloud KMS key ${escape(w.keyName)}$`, 'm'),
        );
        assert.match(block(aws.workflowId), new RegExp(`\\n {4}AWS KMS key ${escape(awsKey)}$`, 'm'));
      },
      worker,
    );
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
