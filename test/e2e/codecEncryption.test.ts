// Payload encryption end to end on the dev server: a run made by a codec-enabled client and worker leaves
// only ciphertext in Temporal (read back with the `temporal` CLI, which has no key), and the codec server
// turns that ciphertext back into the run's values over HTTP.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, codecFromEnvironment, makeKeyring } from '../../codec';
import { payloadsFromJson, startCodecServer } from '../../codec/server';
import { resolveTools } from '../../sandbox/tools/resolve';
import { inspectKey } from '../../workflows';
import { runCli } from '../fixtures/cli';
import { devEnvironment } from '../fixtures/environments';
import { rememberSecret } from '../fixtures/secrets';
import { devServer, moto } from '../fixtures/services';
import { withWorker } from '../fixtures/worker';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Every proto3-JSON payload in a value: objects whose metadata names an encoding. */
function payloadsIn(value: unknown, path = '$', found: { path: string; payload: JsonPayload }[] = []) {
  if (Array.isArray(value)) value.forEach((v, i) => payloadsIn(v, `${path}[${i}]`, found));
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const metadata = record.metadata as Record<string, unknown> | undefined;
    if (metadata && typeof metadata === 'object' && typeof metadata.encoding === 'string')
      found.push({ path, payload: record as JsonPayload });
    else for (const [k, v] of Object.entries(record)) payloadsIn(v, `${path}.${k}`, found);
  }
  return found;
}

const text = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

/** Every string outside search attributes, as stored and base64-decoded (payload bytes are base64 in JSON). */
function readableOutsideSearchAttributes(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value, text(value));
  else if (Array.isArray(value)) value.forEach((v) => readableOutsideSearchAttributes(v, out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value))
      if (k !== 'searchAttributes') readableOutsideSearchAttributes(v, out);
  return out;
}

describe('payload encryption on the dev server', function () {
  it('stores only ciphertext (search attributes excepted), which the codec server decodes', async function () {
    const kms = new KMSClient({ region: 'us-east-1', endpoint: (await moto()).endpoint });
    const description = `codec-secret-description-${randomBytes(4).toString('hex')}`;
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: description }));
    const arn = KeyMetadata!.Arn!;
    const key = randomBytes(32);
    rememberSecret(key.toString('base64')); // the codec key is a secret: the last e2e test scans for it
    const codec = new AesGcmPayloadCodec(makeKeyring(new Map([['e2e-1', key]]), 'e2e-1', 'test'));
    const workflowId = `codec-inspect-${Date.now()}`;
    const env = await devEnvironment();
    const { result, queryEncoding } = await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const result = await client.workflow.execute(inspectKey, {
          taskQueue,
          workflowId,
          args: [{ provider: 'aws', key: arn }],
          memo: { key: arn },
          staticSummary: `inspect ${arn}`,
          staticDetails: `codec e2e for ${arn}`,
        });
        // A query answer (here the UI's own metadata query, which carries setCurrentDetails) leaves the
        // worker encrypted too.
        const { queryResult } = await client.connection.workflowService.queryWorkflow({
          namespace: 'default',
          execution: { workflowId },
          query: { queryType: '__temporal_workflow_metadata' },
        });
        return {
          result,
          queryEncoding: Buffer.from(queryResult!.payloads![0]!.metadata!.encoding!).toString('utf8'),
        };
      },
      { aws: true, payloadCodec: codec },
    );
    assert.equal(result.keyId, arn, 'the codec-enabled client reads the result');
    assert.equal(queryEncoding, 'binary/encrypted');

    // What anyone with access to Temporal but not to the key sees.
    const { stdout } = await promisify(execFile)(
      resolveTools().temporal,
      [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        '--address',
        (await devServer()).address,
        '--namespace',
        'default',
        '--output',
        'json',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const history: unknown = JSON.parse(stdout);
    const payloads = payloadsIn(history);
    const isSearchAttribute = (path: string) => path.includes('.searchAttributes.');
    for (const p of payloads.filter((p) => !isSearchAttribute(p.path)))
      assert.equal(text(p.payload.metadata!.encoding), 'binary/encrypted', `${p.path} is not encrypted`);
    const where = new Set(
      payloads.map((p) => p.path.replace(/\[\d+\]/g, '[]').replace(/^\$\.events\[\]\./, '')),
    );
    for (const expected of [
      'workflowExecutionStartedEventAttributes.input.payloads[]',
      'workflowExecutionStartedEventAttributes.memo.fields.key',
      'activityTaskScheduledEventAttributes.input.payloads[]',
      'activityTaskCompletedEventAttributes.result.payloads[]',
      'workflowExecutionCompletedEventAttributes.result.payloads[]',
      'userMetadata.summary',
      'userMetadata.details',
    ])
      assert.ok(
        [...where].some((w) => w.endsWith(expected)),
        `no encrypted ${expected} in ${[...where].join(', ')}`,
      );
    // Search attributes are never encrypted (Temporal indexes them): inspectKey's EkmKeyId holds the ARN
    // by design, so the ARN may appear there and nowhere else; the key's description appears nowhere.
    assert.ok(
      !stdout.includes(description) &&
        !readableOutsideSearchAttributes(history).some((s) => s.includes(description)),
    );
    for (const s of readableOutsideSearchAttributes(history))
      assert.ok(
        !s.includes(arn) && !s.includes(KeyMetadata!.KeyId!),
        `the key appears outside search attributes: ${s.slice(0, 80)}`,
      );
    assert.ok(
      payloads
        .filter((p) => isSearchAttribute(p.path))
        .every((p) => text(p.payload.metadata!.encoding) === 'json/plain'),
    );

    // The codec server, over HTTP as the Web UI calls it, reads them back.
    const server = await startCodecServer({ codec, host: '127.0.0.1', port: 0, log: () => {} });
    try {
      const res = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
        body: JSON.stringify({
          payloads: payloads.filter((p) => !isSearchAttribute(p.path)).map((p) => p.payload),
        }),
      });
      assert.equal(res.status, 200);
      const decoded = payloadsFromJson(await res.json()).map((p) => defaultPayloadConverter.fromPayload(p));
      const all = JSON.stringify(decoded);
      for (const expected of [
        `inspect ${arn}`,
        `codec e2e for ${arn}`,
        description,
        `describe ${arn} in AWS KMS`,
      ])
        assert.ok(all.includes(expected), `${expected} decodes`);
      assert.ok(
        decoded.some((d) => (d as { keyId?: string }).keyId === arn),
        'the workflow result decodes',
      );
      assert.ok(
        decoded.some((d) => d === arn),
        'the memo decodes',
      );
    } finally {
      await server.close();
    }
  });

  it('the CLI encrypts with the keys in its environment (the worker holding the same keys)', async function () {
    const kms = new KMSClient({ region: 'us-east-1', endpoint: (await moto()).endpoint });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'codec cli key' }));
    const [k2, k1] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    [k2, k1].forEach(rememberSecret);
    const keysEnv = { EKM_CODEC_KEYS: `k2:${k2},k1:${k1}`, EKM_CODEC_KEY_ID: 'k2' };
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ taskQueue }) => {
        const run = await runCli(
          ['key', 'inspect', '--key', KeyMetadata!.Arn!, '--task-queue', taskQueue, '--json'],
          {
            TEMPORAL_ADDRESS: (await devServer()).address,
            TEMPORAL_NAMESPACE: 'default',
            ...keysEnv,
          },
        );
        assert.equal(run.code, 0, run.stderr);
        assert.equal((JSON.parse(run.stdout) as { keyId: string }).keyId, KeyMetadata!.Arn);
        // The run the CLI started, read without keys: its input names codec key k2.
        const [latest] = await collect(env.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` }));
        const history = await env.client.workflow.getHandle(latest!.workflowId).fetchHistory();
        const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
        assert.equal(Buffer.from(input.metadata!.encoding!).toString(), 'binary/encrypted');
        assert.equal(Buffer.from(input.metadata!['encryption-key-id']!).toString(), 'k2');

        // Without the keys the CLI says which to set, rather than failing on an unknown encoding.
        const keyless = await runCli(
          ['key', 'inspect', '--key', KeyMetadata!.Arn!, '--task-queue', taskQueue, '--json'],
          { TEMPORAL_ADDRESS: (await devServer()).address, TEMPORAL_NAMESPACE: 'default' },
        );
        assert.equal(keyless.code, 1);
        assert.match(keyless.stderr, /payloads are encrypted \(codec key k2\): set EKM_CODEC_KEYS/);
      },
      { aws: true, payloadCodec: codecFromEnvironment(keysEnv) },
    );
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  // Visibility is eventually consistent: wait briefly for the run to be listed.
  for (let i = 0; i < 50; i++) {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    if (all.length) return all;
    await new Promise((r) => setTimeout(r, 200));
  }
  return [];
}
