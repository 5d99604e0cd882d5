// Attacks on `ekm evidence verify` (issue 16, findings 4 and 6), through the real binary on records the
// real recordEvidence activity wrote: a chain trusted only through a key the auditor gives (never the one
// inside the file), the run named and checked, every vote and attestation checked against the trusted
// configuration's approver keys, unsigned acts refused in a production chain, a revoked approver key
// refused from its revocation, and the evidence-signing key rotated with old chains still verifying.
// Verification only reads: each test also checks that the stored record it read is byte for byte unchanged.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildChain, chainText } from '../../activities/evidence/chain';
import { evidenceActivities } from '../../activities/evidence/recordEvidence';
import { generateSigningKey, loadSigner, signerFromPem } from '../../activities/evidence/signer';
import { directoryEvidenceStore, folderFor } from '../../activities/evidence/store';
import { taskAnswers } from '../../common/approvals';
import { gateHashOf } from '../../common/planActions';
import { type PlanAction } from '../../providers/planActions';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { approverKey, signatureBy, signersFor } from '../fixtures/approverKeys';
import { runCli, type CliRun } from '../fixtures/cli';
import { inRunOf, sampleRevocationStatus } from '../fixtures/evidence';
import { attestationStatement, voteStatement } from '../../common/signedStatement';

const alice = 'alice@example.com';
const bob = 'bob@example.com';
const year = 365 * 86400_000;

/**
 * A production run's status as a production worker records it: every vote and the ChatGPT attestation
 * signed by its person over this run (`tamper` edits it before the acts are signed, `after` once they are).
 */
function productionRun(
  ids: { workflowId?: string; runId?: string } = {},
  after: (run: RunStatus<RunSubject>) => void = () => {},
): RunStatus<RunSubject> {
  const run = sampleRevocationStatus();
  run.workflowId = ids.workflowId ?? run.workflowId;
  run.runId = ids.runId ?? run.runId;
  run.settings = {
    ...run.settings!,
    mode: 'production',
    approvals: { ...run.settings!.approvals, signers: signersFor([alice, bob]), unsignedAccepted: false },
  };
  const ref = { workflowId: run.workflowId, runId: run.runId };
  for (const gate of run.gates)
    for (const v of gate.votes) {
      v.signature = signatureBy(v.approver, (e) => voteStatement(ref, v, e), year);
      v.authenticated = true;
    }
  const answer = { taskId: 'chatgpt-verify-3', by: alice, outcome: 'inaccessible' };
  run.tasks = [
    {
      taskId: answer.taskId,
      kind: 'chatgpt-verify',
      ...taskAnswers['chatgpt-verify'],
      openedAt: '2026-11-29T10:00:20.000Z',
      deadline: '2026-11-30T10:00:20.000Z',
      answer: {
        ...answer,
        recordedAt: '2026-11-29T10:00:30.000Z',
        signature: signatureBy(alice, (e) => attestationStatement(ref, run.plan!.hash, answer, e), year),
        authenticated: true,
      },
    },
  ];
  after(run);
  return run;
}

describe('ekm evidence verify: attacks (issue 16)', function () {
  this.timeout(120_000);
  let dir: string;
  const worker = generateSigningKey();
  const attacker = generateSigningKey();
  const run = productionRun();
  const otherRun = productionRun({ runId: '0190a3c4-0000-7a8b-9c0d-000000000002' });
  const gates = { approvers: [alice, bob], quorum: 1, deadlineSeconds: 3600 };

  /** A worker configuration as the auditor holds it: the evidence public key and the approvers' keys. */
  function configFile(name: string, extra: { approvals?: object; evidence?: object } = {}): string {
    const file = path.join(dir, name);
    fs.writeFileSync(
      file,
      JSON.stringify({
        approvals: {
          gates: { revoke: gates, archive: gates, deletion: gates, restore: gates, rotate: gates },
          signers: signersFor([alice, bob]),
          ...extra.approvals,
        },
        evidence: { publicKey: worker.publicKeyPem, ...extra.evidence },
      }),
    );
    return file;
  }

  /** Writes a run's record with `key` (the real activity) into `sink`: its folder. */
  async function record(sink: string, status: RunStatus<RunSubject>, key = worker): Promise<string> {
    // Written by the real activity, in an activity context of the run it records (it takes its run from there).
    await inRunOf(status, () =>
      evidenceActivities(
        directoryEvidenceStore(sink, signerFromPem(key.privateKeyPem, 'test')),
      ).recordEvidence(status),
    );
    return path.join(sink, folderFor(status.workflowId), status.runId);
  }

  /** Runs `ekm` and checks the folders it read are unchanged afterwards (verification only reads). */
  async function verify(args: string[], env: NodeJS.ProcessEnv = {}, read: string[] = []): Promise<CliRun> {
    const before = read.map(snapshotOf);
    const r = await runCli(['evidence', 'verify', ...args], env);
    assert.deepEqual(read.map(snapshotOf), before, 'the stored records are unchanged');
    return r;
  }
  function snapshotOf(folder: string): Record<string, string> {
    return Object.fromEntries(
      fs.readdirSync(folder).map((f) => [f, fs.readFileSync(path.join(folder, f), 'utf8')]),
    );
  }
  const named = (status: RunStatus<RunSubject>) => [
    '--workflow-id',
    status.workflowId,
    '--run-id',
    status.runId,
  ];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-verify-attacks-'));
    fs.writeFileSync(path.join(dir, 'worker.pub'), worker.publicKeyPem);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the real record verifies with the worker key or the worker configuration, the run named', async function () {
    const folder = await record(path.join(dir, 'real'), run);
    const cfg = configFile('real.json');
    const withKey = await verify([folder, '--public-key', path.join(dir, 'worker.pub'), ...named(run)], {}, [
      folder,
    ]);
    assert.equal(withKey.code, 0, withKey.stderr);
    assert.match(withKey.stdout, /^VERIFIED: 11 records.*run 0190a3c4-5e6f/);
    const withConfig = await verify([folder, '--config', cfg, ...named(run), '--json'], {}, [folder]);
    assert.equal(withConfig.code, 0, withConfig.stderr);
    const verdict = JSON.parse(withConfig.stdout) as { ok: boolean; mode: string; acts: number };
    assert.equal(verdict.ok, true);
    assert.equal(verdict.mode, 'production');
    assert.equal(verdict.acts, 3, 'two votes and one attestation checked against the configuration');
  });

  it('truncated and re-signed with an attacker key: refused without a trusted key, fails with one', async function () {
    // The attacker drops the archive gate (its approval never happened) and signs the shorter chain.
    const truncated = productionRun({}, (r) => {
      r.gates = r.gates.slice(0, 1);
    });
    const folder = path.join(dir, 'truncated');
    fs.mkdirSync(folder);
    fs.writeFileSync(
      path.join(folder, 'chain.json'),
      chainText(buildChain(truncated, signerFromPem(attacker.privateKeyPem, 'attacker'))),
    );
    fs.writeFileSync(path.join(folder, 'evidence.json'), `${JSON.stringify(truncated, null, 2)}\n`);

    const keyless = await verify([folder], {}, [folder]);
    assert.equal(keyless.code, 2, `exit ${keyless.code}: ${keyless.stdout}${keyless.stderr}`);
    assert.match(
      keyless.stderr,
      /needs a key you trust: --public-key FILE \(the worker's public key\) or --config FILE \(the worker's configuration\); the key inside the chain is never trusted/,
    );
    const keylessNamed = await verify([folder, ...named(truncated)], {}, [folder]);
    assert.equal(keylessNamed.code, 2, keylessNamed.stdout);

    const trusted = await verify([folder, '--config', configFile('t.json'), ...named(truncated)], {}, [
      folder,
    ]);
    assert.equal(trusted.code, 1, trusted.stdout);
    assert.match(
      trusted.stderr,
      /NOT VERIFIED: record 9 \(end\): the chain is signed with key sha256:[0-9a-f]{64}, which is not a key you trust \(trusted: sha256:[0-9a-f]{64}\): re-signed by someone else/,
    );
  });

  it("a copied chain (another run's record under this run's name in the sink) fails, naming both runs", async function () {
    const sink = path.join(dir, 'sink');
    await record(sink, run);
    const other = await record(sink, otherRun);
    // The attacker replaces the run's record with the other run's (valid, worker-signed) one.
    const victim = path.join(sink, folderFor(run.workflowId), run.runId);
    for (const f of fs.readdirSync(other)) fs.copyFileSync(path.join(other, f), path.join(victim, f));

    const r = await verify(
      [run.workflowId, '--run-id', run.runId, '--config', configFile('c.json')],
      { EKM_EVIDENCE_DIR: sink },
      [victim],
    );
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(
        `NOT VERIFIED: record 0 \\(header\\): this is the chain of run ${otherRun.runId}, not of run ${run.runId} that was asked for \\(copied from another run\\?\\)`,
      ),
    );
  });

  it('another run’s chain fails when the run is named (another run id, another workflow id)', async function () {
    const folder = await record(path.join(dir, 'other'), otherRun);
    const cfg = configFile('o.json');
    const r = await verify([folder, '--config', cfg, ...named(run)], {}, [folder]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /this is the chain of run 0190a3c4-0000-.*, not of run 0190a3c4-5e6f-/);
    const otherKey = await verify(
      [folder, '--config', cfg, '--workflow-id', 'ekm-key:arn:aws:kms:us-east-1:123456789012:key/k9'],
      {},
      [folder],
    );
    assert.equal(otherKey.code, 1, otherKey.stdout);
    assert.match(
      otherKey.stderr,
      /this is the chain of workflow ekm-key:arn:aws:kms:us-east-1:123456789012:key\/k1, not of ekm-key:.*key\/k9/,
    );
  });

  it('an unsigned vote in a production chain fails, even signed by the worker', async function () {
    // A modified workflow bundle hands the production worker a status with an unsigned vote.
    const unsigned = productionRun({}, (r) => {
      delete r.gates[1]!.votes[0]!.signature;
      delete r.gates[1]!.votes[0]!.authenticated;
    });
    const folder = await record(path.join(dir, 'unsigned'), unsigned);
    const r = await verify([folder, '--public-key', path.join(dir, 'worker.pub'), ...named(unsigned)], {}, [
      folder,
    ]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /NOT VERIFIED: record \d+ \(gate\): the approve by bob@example.com on gate archive-1 is not signed, in a production chain/,
    );
  });

  it('a production worker’s chain stays production when a modified workflow flips its settings to sandbox', async function () {
    // The run's status says sandbox and carries an unsigned vote; the worker that signs records its own mode.
    const flipped = productionRun({}, (r) => {
      r.settings = { ...r.settings!, mode: 'sandbox' };
      delete r.gates[1]!.votes[0]!.signature;
      r.gates[1]!.votes[0]!.authenticated = false;
    });
    const sink = path.join(dir, 'flipped');
    await inRunOf(flipped, () =>
      evidenceActivities(directoryEvidenceStore(sink, signerFromPem(worker.privateKeyPem, 'test')), {
        mode: 'production',
      }).recordEvidence(flipped),
    );
    const folder = path.join(sink, folderFor(flipped.workflowId), flipped.runId);
    for (const trust of [
      ['--public-key', path.join(dir, 'worker.pub')],
      ['--config', configFile('flip.json')],
    ]) {
      const r = await verify([folder, ...trust, ...named(flipped)], {}, [folder]);
      assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        /NOT VERIFIED: record 0 \(header\): the run's settings say sandbox, but the worker that signed the chain was production/,
      );
    }
  });

  it('a forged attestation fails against the configuration’s keys', async function () {
    // Alice's attestation, signed with Bob's key: today attestations are not checked at all.
    const forged = productionRun({}, (r) => {
      const answer = r.tasks[0]!.answer!;
      const ref = { workflowId: r.workflowId, runId: r.runId };
      answer.signature = signatureBy(bob, (e) => attestationStatement(ref, r.plan!.hash, answer, e), year);
    });
    const folder = await record(path.join(dir, 'forged'), forged);
    const r = await verify([folder, '--config', configFile('f.json'), ...named(forged)], {}, [folder]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /NOT VERIFIED: record \d+ \(task\): the attestation inaccessible by alice@example.com on task chatgpt-verify-3 does not verify with alice@example.com's key in the configuration/,
    );
  });

  it('a vote forged with the keys the file itself lists fails against the configuration’s keys', async function () {
    // Alice's vote signed with Bob's key, and the run's settings (inside the file) list Bob's key for her.
    const forged = productionRun({}, (r) => {
      const v = r.gates[0]!.votes[0]!;
      const ref = { workflowId: r.workflowId, runId: r.runId };
      v.signature = signatureBy(bob, (e) => voteStatement(ref, v, e), year);
      r.settings!.approvals.signers = {
        [alice]: [approverKey(bob).publicKey],
        [bob]: [approverKey(bob).publicKey],
      };
    });
    const folder = await record(path.join(dir, 'forged-vote'), forged);
    const r = await verify([folder, '--config', configFile('fv.json'), ...named(forged)], {}, [folder]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /NOT VERIFIED: record \d+ \(gate\): the approve by alice@example.com on gate revoke-1 does not verify with alice@example.com's key in the configuration/,
    );
  });

  it('a gate whose recorded actions are not the ones its approvals signed fails, naming the gate', async function () {
    const approved: PlanAction = {
      do: 'revoke-access',
      cloud: 'aws',
      method: 'key-policy-deny',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/planned',
      roleArn: 'arn:aws:iam::123456789012:role/ekm-openai-access',
    };
    // Votes signed over the gate's hash of its plans and actions, as a run since issue 16 records them.
    const bindGate = (r: RunStatus<RunSubject>) => {
      const gate = r.gates[0]!;
      gate.plans = [r.plan!.hash];
      gate.actions = [approved];
      gate.planHash = gateHashOf({ plans: gate.plans, actions: gate.actions }, gate.kind, gate.breakGlass);
      const ref = { workflowId: r.workflowId, runId: r.runId };
      for (const v of gate.votes) {
        v.planHash = gate.planHash;
        v.signature = signatureBy(
          v.approver,
          (e) => voteStatement(ref, { ...v, gateId: gate.gateId }, e),
          year,
        );
      }
    };
    const honest = productionRun({}, bindGate);
    const honestFolder = await record(path.join(dir, 'bound-honest'), honest);
    const ok = await verify([honestFolder, '--config', configFile('bh.json'), ...named(honest)]);
    assert.equal(ok.code, 0, `exit ${ok.code}: ${ok.stdout}${ok.stderr}`);
    // A modified workflow records that the approvals covered another key.
    const edited = productionRun({}, (r) => {
      bindGate(r);
      r.gates[0]!.actions = [{ ...approved, keyArn: 'arn:aws:kms:us-east-1:123456789012:key/another' }];
    });
    const folder = await record(path.join(dir, 'bound-edited'), edited);
    const r = await verify([folder, '--config', configFile('be.json'), ...named(edited)], {}, [folder]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /gate revoke-1 \(its recorded actions, plans, kind or break-glass are not what its hash covers\)/,
    );
  });

  it('a vote signed with a revoked approver key after its revocation fails; one before it stands', async function () {
    const folder = await record(path.join(dir, 'revoked'), run);
    // Bob voted on the archive gate at 10:00:12.
    const revoked = (from: string) =>
      configFile(`revoked-${from}.json`, {
        approvals: {
          revokedKeys: [{ key: approverKey(bob).publicKey, from, reason: 'laptop stolen' }],
        },
      });
    const r = await verify([folder, '--config', revoked('2026-11-29T10:00:05Z'), ...named(run)], {}, [
      folder,
    ]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /NOT VERIFIED: record \d+ \(gate\): the approve by bob@example.com on gate archive-1 at 2026-11-29T10:00:12.000Z is signed with ed25519:[0-9a-f]{12}…, revoked from 2026-11-29T10:00:05Z \(laptop stolen\)/,
    );
    const before = await verify([folder, '--config', revoked('2026-11-29T11:00:00Z'), ...named(run)], {}, [
      folder,
    ]);
    assert.equal(before.code, 0, before.stderr);
  });

  it('the evidence-signing key rotated: old chains verify with the old key, new chains are signed with the new one', async function () {
    const oldFolder = await record(path.join(dir, 'rotation'), run);
    // The rotation: a new private key for the worker, the old public key listed with when it was retired.
    const next = generateSigningKey();
    const nextFile = path.join(dir, 'next.pem');
    fs.writeFileSync(nextFile, next.privateKeyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'next.pub'), next.publicKeyPem);
    const rotated = configFile('rotated.json', {
      evidence: {
        publicKey: next.publicKeyPem,
        previousPublicKeys: [{ publicKey: worker.publicKeyPem, retiredAt: '2026-12-01T00:00:00Z' }],
      },
    });
    // The worker reads its key from the rotated configuration's evidence section.
    const signer = loadSigner({ signingKeyFile: nextFile });
    const newRun = productionRun({ runId: '0190a3c4-0000-7a8b-9c0d-000000000003' });
    await inRunOf(newRun, () =>
      evidenceActivities(directoryEvidenceStore(path.join(dir, 'rotation'), signer)).recordEvidence(newRun),
    );
    const newFolder = path.join(dir, 'rotation', folderFor(newRun.workflowId), newRun.runId);
    const chain = JSON.parse(fs.readFileSync(path.join(newFolder, 'chain.json'), 'utf8')) as {
      signature: { fingerprint: string };
      records: { body: { signer: { fingerprint: string } } }[];
    };
    assert.equal(
      chain.signature.fingerprint,
      signer!.fingerprint,
      'the new chain is signed with the new key',
    );
    assert.equal(chain.records[0]!.body.signer.fingerprint, signer!.fingerprint);

    const old = await verify([oldFolder, '--config', rotated, ...named(run)], {}, [oldFolder]);
    assert.equal(old.code, 0, old.stderr);
    assert.match(
      old.stdout,
      /signed with the previous key sha256:[0-9a-f]{64} \(retired 2026-12-01T00:00:00Z\)/,
    );
    const fresh = await verify([newFolder, '--config', rotated, ...named(newRun)], {}, [newFolder]);
    assert.equal(fresh.code, 0, fresh.stderr);
    const oldKey = await verify([oldFolder, '--public-key', path.join(dir, 'worker.pub'), ...named(run)]);
    assert.equal(oldKey.code, 0, oldKey.stderr);
    const newWithOld = await verify([
      newFolder,
      '--public-key',
      path.join(dir, 'worker.pub'),
      ...named(newRun),
    ]);
    assert.equal(newWithOld.code, 1, newWithOld.stdout);
    assert.match(newWithOld.stderr, /not a key you trust/);
  });
});
