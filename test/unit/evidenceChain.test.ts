// The evidence chain: built from a status, verified; any edit, reorder, removal or wrong key is caught
// and the verdict names the record. And the evidence.json schema: what a completed revocation must hold.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildChain, chainText, recordHash } from '../../activities/evidence/chain';
import { evidenceActivities } from '../../activities/evidence/recordEvidence';
import { generateSigningKey, loadSigner, signerFromPem } from '../../activities/evidence/signer';
import { directoryEvidenceStore, folderFor } from '../../activities/evidence/store';
import { verifyChain } from '../../activities/evidence/verify';
import { sandboxWorkerKey } from '../fixtures/evidence';
import { statusFromChain, type EvidenceChain } from '../../common/evidenceChain';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { canonicalJson } from '../../common/canonicalJson';
import { projectRoot } from '../../sandbox/paths';
import { parseWorkerConfig } from '../../worker/config';
import { createEvidenceStore } from '../../worker/createWorker';
import { evidenceSchemaErrors, inRunOf, sampleRevocationStatus } from '../fixtures/evidence';
import { voteStatement } from '../../common/signedStatement';
import { resolutionStatement, type StopView } from '../../common/resolution';
import { signatureBy, signersFor } from '../fixtures/approverKeys';

const status = sampleRevocationStatus;

const { privateKeyPem } = generateSigningKey();
const signer = signerFromPem(privateKeyPem, 'test');
const other = signerFromPem(generateSigningKey().privateKeyPem, 'test');
const copy = (c: EvidenceChain) => JSON.parse(JSON.stringify(c)) as EvidenceChain;

describe('evidence chain', function () {
  it('derives header, steps, gates, cache wait and end, links and signs them; verifies only with a key given', function () {
    const chain = buildChain(status(), signer);
    assert.deepEqual(
      chain.records.map((r) => r.kind),
      ['header', 'step', 'step', 'step', 'step', 'step', 'gate', 'gate', 'cache-wait', 'end'],
    );
    assert.deepEqual(
      chain.records.map((r) => r.seq),
      [...chain.records.keys()],
    );
    for (const [i, r] of chain.records.entries())
      if (i > 0) assert.equal(r.prevHash, chain.records[i - 1]!.hash);
    assert.equal(
      (chain.records[0]!.body as { signer: { fingerprint: string } }).signer.fingerprint,
      signer.fingerprint,
    );
    // The header's key is never trusted: without a key given, the chain is intact but not verified.
    const keyless = verifyChain(copy(chain), { evidence: status() });
    assert.equal(keyless.ok, false);
    assert.equal(keyless.untrusted, true);
    assert.match(
      keyless.summary,
      /no key you trust was given .* the key inside the chain \(sha256:[0-9a-f]{64}\) is never trusted/,
    );
    const verdict = verifyChain(copy(chain), { evidence: status(), publicKey: signer.publicKey });
    assert.ok(verdict.ok, verdict.summary);
    assert.equal(verdict.keySource, 'given');
    assert.match(verdict.summary, /signed with the given public key/);
  });

  it('is deterministic (a retried write is the same bytes) and holds the whole status', function () {
    assert.equal(chainText(buildChain(status(), signer)), chainText(buildChain(status(), signer)));
    assert.equal(
      canonicalJson(statusFromChain(buildChain(status(), signer))),
      canonicalJson(JSON.parse(JSON.stringify(status()))),
    );
  });

  it('verifies with a given public key, and fails with another naming the head record', function () {
    const chain = buildChain(status(), signer);
    const given = verifyChain(copy(chain), { publicKey: signer.publicKey });
    assert.ok(given.ok, given.summary);
    assert.equal(given.keySource, 'given');
    const wrong = verifyChain(copy(chain), { publicKey: other.publicKey });
    assert.equal(wrong.ok, false);
    assert.deepEqual([wrong.failed?.seq, wrong.failed?.kind], [9, 'end']);
    assert.match(
      wrong.summary,
      /the chain is signed with key sha256:[0-9a-f]{64}, which is not a key you trust/,
    );
  });

  it('one edited byte in any record fails, naming that record', function () {
    const chain = buildChain(status(), signer);
    const text = chainText(chain);
    for (const record of chain.records) {
      // Change one character inside this record's body (a letter or digit becomes another).
      const tampered = copy(chain);
      const r = tampered.records[record.seq]!;
      const body = JSON.stringify(r.body);
      const at = body.search(/[a-z0-9]/);
      const flipped = body.slice(0, at) + (body[at] === 'x' ? 'y' : 'x') + body.slice(at + 1);
      r.body = JSON.parse(flipped) as unknown;
      const verdict = verifyChain(tampered);
      assert.equal(verdict.ok, false, `record ${record.seq}`);
      assert.deepEqual([verdict.failed?.seq, verdict.failed?.kind], [record.seq, record.kind]);
      assert.match(verdict.summary, new RegExp(`record ${record.seq} \\(${record.kind}\\)`));
    }
    assert.equal(text, chainText(chain), 'the original is untouched');
  });

  it('a re-hashed edit is caught by the next link, or at the end by the signature', function () {
    const chain = copy(buildChain(status(), signer));
    const gate = chain.records[6]!;
    (gate.body as { votes: { approver: string }[] }).votes[0]!.approver = 'mallory@example.com';
    // The forger recomputes this record's hash: the next record's prevHash no longer links.
    gate.hash = recordHash(gate);
    const v = verifyChain(chain);
    assert.deepEqual([v.failed?.seq, v.failed?.kind], [7, 'gate']);
    assert.match(v.summary, /prevHash/);
  });

  it('a reordered or removed record fails, naming it', function () {
    const chain = buildChain(status(), signer);
    const swapped = copy(chain);
    [swapped.records[2], swapped.records[3]] = [swapped.records[3]!, swapped.records[2]!];
    const v1 = verifyChain(swapped);
    assert.deepEqual([v1.failed?.seq, v1.failed?.kind], [3, 'step']);
    assert.match(v1.summary, /out of sequence/);

    const removed = copy(chain);
    removed.records.splice(4, 1);
    const v2 = verifyChain(removed);
    assert.deepEqual([v2.failed?.seq, v2.failed?.kind], [5, 'step']);

    const truncated = copy(chain);
    truncated.records.pop();
    const v3 = verifyChain(truncated);
    assert.equal(v3.ok, false);
    assert.match(v3.summary, /the last record must be the end/);
  });

  it('an unsigned chain and an evidence.json that differs from the chain do not verify', function () {
    const unsigned = verifyChain(copy(buildChain(status(), undefined)));
    assert.equal(unsigned.ok, false);
    assert.match(unsigned.summary, /not signed/);
    const edited = status();
    edited.gates[1]!.votes[0]!.approver = 'mallory@example.com';
    const v = verifyChain(copy(buildChain(status(), signer)), {
      evidence: edited,
      publicKey: signer.publicKey,
    });
    assert.deepEqual([v.failed?.seq, v.failed?.kind], [7, 'gate']);
    assert.match(v.summary, /evidence\.json does not hold/);
  });

  it('evidence.md lists, under each gate, the actions its approvals authorise', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-unit-'));
    try {
      const run = status();
      run.gates[0]!.actions = [
        { do: 'archive-project', projectId: 'proj_planned', externalKeyId: 'ek_1' },
        { do: 'schedule-key-deletion', cloud: 'aws', keyArn: 'arn:aws:kms:us-east-1:1:key/k1', days: 7 },
      ];
      const { markdown } = await inRunOf(run, () =>
        evidenceActivities(directoryEvidenceStore(dir, signer)).recordEvidence(run),
      );
      const md = fs.readFileSync(markdown, 'utf8');
      assert.match(md, /- authorises: archive project proj_planned \(once ek_1 validates as revoked\)/);
      assert.match(md, /- authorises: .*arn:aws:kms:us-east-1:1:key\/k1.*7/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recordEvidence writes chain, JSON and Markdown once; a retry writes the same bytes; a changed record is refused', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-unit-'));
    try {
      const store = directoryEvidenceStore(dir, signer);
      const activities = evidenceActivities(store);
      const first = await inRunOf(status(), () => activities.recordEvidence(status()));
      const folder = path.join(dir, folderFor(status().workflowId), status().runId);
      const bytes = fs.readFileSync(path.join(folder, 'chain.json'), 'utf8');
      const again = await inRunOf(status(), () => activities.recordEvidence(status()));
      assert.deepEqual(again, first);
      assert.equal(fs.readFileSync(path.join(folder, 'chain.json'), 'utf8'), bytes);
      assert.deepEqual(fs.readdirSync(folder).sort(), ['chain.json', 'evidence.json', 'evidence.md']);
      const changed = status();
      changed.endReason = 'something else';
      await assert.rejects(
        inRunOf(changed, () => activities.recordEvidence(changed)),
        /write-once/,
      );
      assert.deepEqual(
        await activities.readEvidence({ workflowId: status().workflowId, runId: status().runId }),
        JSON.parse(JSON.stringify(status())),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a sandbox worker without a configured key keeps one of its own, the same across restarts', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-key-'));
    try {
      const a = loadSigner({}, { sandboxDirectory: dir });
      const b = loadSigner({}, { sandboxDirectory: dir });
      assert.ok(a && b && a.fingerprint === b.fingerprint);
      assert.equal(loadSigner({}), undefined);
      assert.throws(
        () => loadSigner({ signingKeyEnv: 'EKM_NO_SUCH_KEY' }, { env: {} }),
        /evidence\.signingKeyEnv/,
      );
      assert.throws(
        () => loadSigner({ signingKeyFile: path.join(dir, 'missing.pem') }),
        /evidence\.signingKeyFile/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a sandbox worker makes its key only when it first records evidence', async function () {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-lazy-')), 'evidence');
    try {
      const store = await createEvidenceStore(
        // A read worker's configuration: what is under test is the evidence store, not the gates.
        parseWorkerConfig({
          sandbox: true,
          role: 'read',
          mutatingTaskQueue: 'ekm-changes',
          aws: { endpoint: 'http://127.0.0.1:9' },
          openai: { baseUrl: 'http://127.0.0.1:9/v1' },
          evidence: { directory: dir },
        }),
      );
      assert.equal(fs.existsSync(dir), false, 'nothing written at worker start');
      await inRunOf(status(), () => evidenceActivities(store).recordEvidence(status()));
      assert.ok(fs.existsSync(path.join(dir, '.evidence-signing-key.pem')));
      const folder = path.join(dir, folderFor(status().workflowId), status().runId);
      const chain = JSON.parse(fs.readFileSync(path.join(folder, 'chain.json'), 'utf8')) as unknown;
      const verdict = verifyChain(chain, { publicKey: sandboxWorkerKey(folder) });
      assert.ok(verdict.ok, verdict.summary);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it("re-checks every signed vote against the approvers' keys the run recorded, naming the gate", function () {
    const signed = (forge: boolean): RunStatus<RunSubject> => {
      const run = status();
      const gate = run.gates[0]!;
      const vote = gate.votes[0]!;
      const statement = (e: string) =>
        voteStatement(
          { workflowId: run.workflowId, runId: run.runId },
          { ...vote, gateId: gate.gateId, planHash: gate.planHash },
          e,
        );
      // A worker that recorded a vote as verified though its signature was made by someone else's key.
      vote.signature = signatureBy(forge ? 'bob@example.com' : vote.approver, statement);
      vote.authenticated = true;
      run.settings!.approvals.signers = signersFor(['alice@example.com', 'bob@example.com']);
      return run;
    };
    const good = verifyChain(copy(buildChain(signed(false), signer)), { publicKey: signer.publicKey });
    assert.ok(good.ok, good.summary);
    assert.match(
      good.summary,
      /1 signed act\(s\) verified against the approvers' keys in the run's settings/,
    );
    const forged = verifyChain(copy(buildChain(signed(true), signer)), { publicKey: signer.publicKey });
    assert.equal(forged.ok, false);
    assert.equal(forged.failed?.kind, 'gate');
    assert.match(
      forged.summary,
      /the approve by alice@example.com on gate revoke-1 does not verify with alice@example.com's key/,
    );
  });

  it('keeps a stop for a person and its signed resolution in the chain, re-checked like a vote', function () {
    const stopped = (forge: boolean): RunStatus<RunSubject> => {
      const run = status();
      run.settings!.approvals.signers = signersFor(['alice@example.com', 'bob@example.com']);
      const stop: StopView = {
        stopId: 'resolve-1',
        step: 'replacement external key',
        name: 'ekm-0123456789abcdef',
        why: 'ekm-0123456789abcdef is taken by something this run cannot prove it made',
        candidates: [{ id: 'extkey_planted', description: 'an aws key registered for another key' }],
        stopHash: 'c'.repeat(64),
        policy: { approvers: ['alice@example.com', 'bob@example.com'], quorum: 1, deadlineSeconds: 3600 },
        breakGlass: false,
        openedAt: run.gates[1]!.openedAt,
        deadline: run.gates[1]!.deadline,
        votes: [],
        decision: 'create-again',
        decidedAt: run.gates[1]!.openedAt,
      };
      const unsigned = {
        stopId: stop.stopId,
        stopHash: stop.stopHash,
        choice: 'create-again' as const,
        approver: 'bob@example.com',
      };
      const signature = signatureBy(forge ? 'alice@example.com' : unsigned.approver, (e) =>
        resolutionStatement({ workflowId: run.workflowId, runId: run.runId }, unsigned, e),
      );
      stop.votes.push({ ...unsigned, signature, at: run.gates[1]!.openedAt, authenticated: true });
      run.stops = [stop];
      return run;
    };
    const run = stopped(false);
    const chain = buildChain(run, signer);
    assert.deepEqual(chain.records.map((r) => r.kind).slice(-3), ['stop', 'cache-wait', 'end']);
    const good = verifyChain(copy(chain), { evidence: run, publicKey: signer.publicKey });
    assert.ok(good.ok, good.summary);
    assert.match(good.summary, /1 signed act\(s\) verified/);
    assert.deepEqual(statusFromChain(chain).stops, run.stops);
    assert.deepEqual(evidenceSchemaErrors(JSON.parse(JSON.stringify(run))), []);
    // evidence.json saying another decision than the signed chain: caught at the stop.
    const edited = structuredClone(run);
    edited.stops![0]!.decision = 'abandon';
    const tampered = verifyChain(copy(chain), { evidence: edited, publicKey: signer.publicKey });
    assert.equal(tampered.failed?.kind, 'stop', tampered.summary);
    // A resolution recorded as verified though someone else's key signed it.
    const forged = verifyChain(copy(buildChain(stopped(true), signer)), { publicKey: signer.publicKey });
    assert.equal(forged.ok, false);
    assert.equal(forged.failed?.kind, 'stop');
    assert.match(forged.summary, /the create-again by bob@example.com on stop resolve-1 does not verify/);
    // A run that never stopped derives the records it always did.
    assert.ok(!buildChain(status(), signer).records.some((r) => r.kind === 'stop'));
  });
});

describe('evidence.json schema', function () {
  it('accepts a completed revocation with validate answers, cache wait, probes and approvals', function () {
    assert.deepEqual(evidenceSchemaErrors(JSON.parse(JSON.stringify(status()))), []);
  });

  const without: [string, (s: RunStatus<RunSubject>) => void][] = [
    [
      'a validate answer’s request id',
      (s) => ((s.steps[2]!.data as { requestId?: string }[])[0]!.requestId = undefined),
    ],
    ['the validate answer before the change', (s) => (s.steps[0]!.data = {})],
    ['the validate answers after the change', (s) => (s.steps[2]!.data = [])],
    ['the cache wait’s end', (s) => (s.cacheWait!.endedAt = undefined)],
    ['the cache wait', (s) => (s.cacheWait = undefined)],
    ['the probe results', (s) => (s.steps[4]!.data = [])],
    ['the archive approval', (s) => (s.gates = s.gates.slice(0, 1))],
    ['the revoke approval’s vote', (s) => (s.gates[0]!.votes = [])],
  ];
  for (const [what, edit] of without)
    it(`refuses a completed revocation without ${what}`, function () {
      const s = status();
      edit(s);
      assert.notDeepEqual(evidenceSchemaErrors(JSON.parse(JSON.stringify(s))), []);
    });

  it('accepts the recorded end states of the replay histories (revocation, rotation, restore)', function () {
    const dir = path.join(projectRoot, 'test', 'replay');
    let checked = 0;
    for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : []) {
      const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
        events: {
          workflowExecutionCompletedEventAttributes?: { result?: { payloads?: { data?: string }[] } };
        }[];
      };
      const data = history.events.find((e) => e.workflowExecutionCompletedEventAttributes)
        ?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data;
      let result: unknown;
      try {
        result = data ? JSON.parse(Buffer.from(data, 'base64').toString('utf8')) : undefined;
      } catch {
        continue; // an encrypted payload: nothing to read here
      }
      if (!result || typeof result !== 'object' || !('steps' in result)) continue;
      assert.deepEqual(evidenceSchemaErrors(result), [], file);
      checked++;
    }
    assert.ok(checked >= 3, `only ${checked} recorded run results found`);
  });
});
