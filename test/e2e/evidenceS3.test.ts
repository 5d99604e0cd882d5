// The production evidence sink against moto's S3: a bucket with Object Lock takes the chain, JSON and
// Markdown, each locked; the worker refuses a bucket without Object Lock; what is read back verifies;
// a later version or a delete marker does not replace what an auditor reads; a locked version cannot be
// deleted; `ekm evidence` reads and verifies from the bucket.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { evidenceActivities } from '../../activities/evidence/recordEvidence';
import { ensureSigningKeyFile } from '../../activities/evidence/signer';
import { folderFor } from '../../activities/evidence/store';
import { chainFile } from '../../common/evidenceChain';
import { parseWorkerConfig, WorkerConfigError } from '../../worker/config';
import { createEvidenceStore } from '../../worker/createWorker';
import { verifyStored } from '../../client/evidenceVerify';
import { runCli } from '../fixtures/cli';
import { inRunOf, sampleRevocationStatus } from '../fixtures/evidence';
import { moto } from '../fixtures/services';

describe('evidence in S3 with Object Lock (moto)', function () {
  this.timeout(120_000);
  let endpoint: string;
  let s3: S3Client;
  let dir: string;
  const locked = `ekm-evidence-locked-${process.pid}`;
  const unlocked = `ekm-evidence-plain-${process.pid}`;

  before(async function () {
    endpoint = (await moto()).endpoint;
    s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: locked, ObjectLockEnabledForBucket: true }));
    await s3.send(new CreateBucketCommand({ Bucket: unlocked }));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-s3-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = (bucket: string, extra: Record<string, unknown> = {}) =>
    parseWorkerConfig({
      sandbox: true,
      // The read worker's configuration: it writes the evidence, and changes nothing (so needs no gates).
      role: 'read',
      mutatingTaskQueue: 'ekm-changes',
      aws: { endpoint },
      openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      evidence: {
        signingKeyFile: ensureSigningKeyFile(path.join(dir, 'signing-key.pem')),
        s3: { bucket, prefix: 'runs/', endpoint, retentionDays: 1, mode: 'COMPLIANCE', ...extra },
      },
    });

  it('refuses, at worker start, a bucket without Object Lock, naming the field', async function () {
    await assert.rejects(
      createEvidenceStore(config(unlocked)),
      (err: Error) =>
        err instanceof WorkerConfigError &&
        /evidence\.s3\.bucket: the bucket ekm-evidence-plain-\d+ has no Object Lock configuration/.test(
          err.message,
        ),
    );
    assert.throws(
      () => parseWorkerConfig({ evidence: { s3: { bucket: locked, retentionDays: 1, mode: 'COMPLIANCE' } } }),
      /evidence\.signingKeyFile: evidence\.s3 needs a signing key/,
    );
  });

  it('writes locked objects once, reads back what verifies, and keeps the original against overwrite and delete', async function () {
    const store = await createEvidenceStore(config(locked));
    const run = sampleRevocationStatus();
    const activities = evidenceActivities(store);
    const written = await inRunOf(run, () => activities.recordEvidence(run));
    assert.equal(written.chain, `s3://${locked}/runs/${folderFor(run.workflowId)}/${run.runId}/${chainFile}`);
    assert.ok(written.signed);
    // A retried activity: the same bytes, accepted; other bytes for the same run: refused.
    assert.deepEqual(await inRunOf(run, () => activities.recordEvidence(run)), written);
    await assert.rejects(
      inRunOf(run, () => activities.recordEvidence({ ...run, endReason: 'rewritten' })),
      /write-once/,
    );

    const key = `runs/${folderFor(run.workflowId)}/${run.runId}/${chainFile}`;
    // Locked (HeadObject's lock headers: moto's GetObjectRetention answer does not parse in SDK v3).
    const head = await s3.send(new HeadObjectCommand({ Bucket: locked, Key: key }));
    assert.equal(head.ObjectLockMode, 'COMPLIANCE');
    assert.ok(head.ObjectLockRetainUntilDate!.getTime() > Date.now() + 23 * 3600_000);

    const read = async () => ({
      chain: await store.read(run.workflowId, run.runId, chainFile),
      evidence: await store.read(run.workflowId, run.runId, 'evidence.json'),
    });
    const original = await read();
    const verdict = verifyStored(original, store.signer!.publicKey);
    assert.ok(verdict?.ok, verdict?.summary);
    assert.equal(verdict.keySource, 'given');
    assert.deepEqual(await store.runs(run.workflowId), [run.runId]);
    assert.deepEqual(await activities.readEvidence(run), JSON.parse(JSON.stringify(run)));

    // Someone with write access puts a forged version over it, then a delete marker: S3 allows both
    // (locks protect versions, not keys), and the store still reads the first, locked version.
    await s3.send(new PutObjectCommand({ Bucket: locked, Key: key, Body: '{"forged":true}' }));
    await s3.send(new DeleteObjectCommand({ Bucket: locked, Key: key }));
    assert.deepEqual(await read(), original);

    // Deleting the locked version itself is refused (moto enforces COMPLIANCE retention on delete).
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: locked, Prefix: key }));
    // Listed newest first (LastModified has one-second resolution): the original is the last.
    const first = versions.Versions!.filter((v) => v.Key === key).at(-1)!;
    assert.equal(versions.Versions!.filter((v) => v.Key === key).length, 2);
    await assert.rejects(
      s3.send(new DeleteObjectCommand({ Bucket: locked, Key: key, VersionId: first.VersionId })),
      (err: Error) => err.name === 'AccessDenied',
    );
    assert.deepEqual(await read(), original);
  });

  // Reads the record the test above wrote (and that a forged version and a delete marker now hide).
  it('`ekm evidence <id> --run-id` reads the record from the bucket and prints the verified verdict', async function () {
    const run = sampleRevocationStatus();
    const env = {
      EKM_EVIDENCE_S3: `s3://${locked}/runs/`,
      EKM_EVIDENCE_S3_ENDPOINT: endpoint,
      AWS_REGION: 'us-east-1',
      // No Temporal is needed for a stored record; make sure none is asked.
      TEMPORAL_ADDRESS: '127.0.0.1:9',
    };
    // Without a key to trust the record is printed, its chain intact but not verified (and said so).
    const untrusted = await runCli(['evidence', run.workflowId, '--run-id', run.runId], env);
    assert.equal(untrusted.code, 0, untrusted.stderr);
    assert.match(
      untrusted.stdout,
      /<!-- evidence chain: NOT VERIFIED: hashes and links intact, but no key you trust was given/,
    );
    const pub = ['--public-key', path.join(dir, 'signing-key.pem.pub')];
    const md = await runCli(['evidence', run.workflowId, '--run-id', run.runId, ...pub], env);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /<!-- from the evidence record -->/);
    assert.match(md.stdout, /<!-- evidence chain: VERIFIED: 10 records .*signed with the given public key/);
    const json = await runCli(
      ['evidence', run.workflowId, '--run-id', run.runId, '--format', 'json', ...pub],
      env,
    );
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { endState: string }).endState, 'completed');
    assert.match(json.stderr, /evidence chain: VERIFIED/);
    // `ekm evidence verify <workflow id>` reads the same record from the bucket, the run named.
    const verified = await runCli(['evidence', 'verify', run.workflowId, '--run-id', run.runId, ...pub], env);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, new RegExp(`^VERIFIED: 10 records of workflow .*, run ${run.runId};`));
  });
});
