import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  CodecDecodeError,
  CodecKeyError,
  codecFromEnvironment,
  encryptedEncoding,
  keyringFromEnvironment,
  makeKeyring,
  parseCodecKeys,
} from '../../codec';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const codecWith = (current: string, keys: Record<string, Buffer>) =>
  new AesGcmPayloadCodec(makeKeyring(new Map(Object.entries(keys)), current, 'test'));
const meta = (p: Payload, name: string) => Buffer.from(p.metadata![name]!).toString('utf8');
const secret = { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' };

describe('payload codec (AES-256-GCM)', function () {
  it('round-trips a payload, metadata included, and leaves nothing readable', async function () {
    const codec = codecWith('k1', { k1 });
    const original = defaultPayloadConverter.toPayload(secret);
    const [encrypted] = await codec.encode([original]);
    assert.equal(meta(encrypted!, 'encoding'), encryptedEncoding);
    assert.equal(meta(encrypted!, 'encryption-key-id'), 'k1');
    assert.deepEqual(Object.keys(encrypted!.metadata!).sort(), [
      'encoding',
      'encryption-cipher',
      'encryption-key-id',
    ]);
    const raw = Buffer.from(encrypted!.data!).toString('latin1');
    assert.ok(
      !raw.includes('arn:aws:kms') && !raw.includes('json/plain'),
      'neither data nor its encoding in clear',
    );
    const [decoded] = await codec.decode([encrypted!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), secret);
    assert.equal(meta(decoded!, 'encoding'), 'json/plain');
  });

  it('uses a fresh 96-bit IV per payload', async function () {
    const codec = codecWith('k1', { k1 });
    const p = defaultPayloadConverter.toPayload(secret);
    const [a, b] = await codec.encode([p, p]);
    assert.notDeepEqual(Buffer.from(a!.data!).subarray(0, 12), Buffer.from(b!.data!).subarray(0, 12));
    assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
  });

  it('passes unencrypted payloads through on decode (histories from before encryption)', async function () {
    const codec = codecWith('k1', { k1 });
    const plain = defaultPayloadConverter.toPayload('hello');
    assert.deepEqual(await codec.decode([plain]), [plain]);
  });

  for (const [what, offset] of [
    ['the IV', 3],
    ['the ciphertext', 14],
    ['the tag', -2],
  ] as const) {
    it(`refuses a payload with one byte of ${what} changed`, async function () {
      const codec = codecWith('k1', { k1 });
      const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
      const data = Buffer.from(encrypted!.data!);
      const at = offset < 0 ? data.length + offset : offset;
      data[at] = data[at]! ^ 0x01;
      await assert.rejects(codec.decode([{ ...encrypted!, data }]), (err: unknown) => {
        assert.ok(err instanceof CodecDecodeError);
        assert.match(err.message, /failed authentication/);
        return true;
      });
    });
  }

  it('refuses a payload relabelled with another configured key id', async function () {
    const codec = codecWith('k1', { k1, k2 });
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
    const relabelled = {
      ...encrypted!,
      metadata: { ...encrypted!.metadata, 'encryption-key-id': Buffer.from('k2') },
    };
    await assert.rejects(codec.decode([relabelled]), /failed authentication/);
  });

  it('rotates: encrypts with the current key, still decrypts the old one, and names a removed key', async function () {
    const old = codecWith('k1', { k1 });
    const [underK1] = await old.encode([defaultPayloadConverter.toPayload(secret)]);

    const rotated = codecWith('k2', { k2, k1 });
    const [underK2] = await rotated.encode([defaultPayloadConverter.toPayload(secret)]);
    assert.equal(meta(underK2!, 'encryption-key-id'), 'k2');
    const decoded = await rotated.decode([underK1!, underK2!]);
    assert.deepEqual(
      decoded.map((p) => defaultPayloadConverter.fromPayload(p)),
      [secret, secret],
    );

    const k1Removed = codecWith('k2', { k2 });
    await assert.rejects(k1Removed.decode([underK1!]), (err: unknown) => {
      assert.ok(err instanceof CodecDecodeError);
      assert.match(err.message, /codec key "k1", which is not configured \(have: k2\)/);
      return true;
    });
  });
});

describe('codec keys from the environment', function () {
  const b64 = (key: Buffer) => key.toString('base64');
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('configures nothing without keys', function () {
    assert.equal(keyringFromEnvironment({}), undefined);
    assert.equal(codecFromEnvironment({}), undefined);
  });

  it('reads several keys and the current id', function () {
    const ring = keyringFromEnvironment({
      EKM_CODEC_KEYS: `k2:${b64(k2)}, k1:${k1.toString('base64url')}`,
      EKM_CODEC_KEY_ID: 'k2',
    })!;
    assert.equal(ring.currentKeyId, 'k2');
    assert.deepEqual(ring.keys.get('k1'), k1);
    assert.deepEqual(ring.keys.get('k2'), k2);
  });

  it('reads a key file with comments; one key needs no id', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-codec-'));
    dirs.push(dir);
    const file = path.join(dir, 'keys');
    fs.writeFileSync(file, `# rotated 2026-01\nonly:${b64(k1)}\n`);
    assert.equal(keyringFromEnvironment({ EKM_CODEC_KEYS_FILE: file })!.currentKeyId, 'only');
  });

  for (const [what, env, message] of [
    ['a short key', { EKM_CODEC_KEYS: `k1:${randomBytes(16).toString('base64')}` }, /k1 must be 32 bytes/],
    ['no id', { EKM_CODEC_KEYS: b64(k1) }, /must be <id>:<base64 key>/],
    ['a duplicate id', { EKM_CODEC_KEYS: `a:${b64(k1)},a:${b64(k2)}` }, /a is listed twice/],
    [
      'several keys and no current id',
      { EKM_CODEC_KEYS: `a:${b64(k1)},b:${b64(k2)}` },
      /set EKM_CODEC_KEY_ID/,
    ],
    [
      'an unknown current id',
      { EKM_CODEC_KEYS: `a:${b64(k1)}`, EKM_CODEC_KEY_ID: 'z' },
      /current codec key z is not among/,
    ],
    ['a current id without keys', { EKM_CODEC_KEY_ID: 'a' }, /neither EKM_CODEC_KEYS nor/],
    ['both a list and a file', { EKM_CODEC_KEYS: `a:${b64(k1)}`, EKM_CODEC_KEYS_FILE: '/x' }, /either/],
    ['a missing file', { EKM_CODEC_KEYS_FILE: '/nonexistent/keys' }, /cannot read it \(ENOENT\)/],
  ] as const) {
    it(`refuses ${what}, without echoing key material`, function () {
      assert.throws(
        () => keyringFromEnvironment(env),
        (err: unknown) => {
          assert.ok(err instanceof CodecKeyError);
          assert.match(err.message, message);
          assert.ok(!err.message.includes(b64(k1)) && !err.message.includes(b64(k2)));
          return true;
        },
      );
    });
  }

  it('parses the documented format', function () {
    assert.equal(parseCodecKeys(`x:${b64(k1)}\n\n# comment\n`, 'test').size, 1);
  });
});

describe('a required codec (codec.required)', function () {
  const keyring = makeKeyring(new Map([['k1', randomBytes(32)]]), 'k1', 'test');
  const clear = defaultPayloadConverter.toPayload({ vote: 'approve' });

  it('refuses a payload that arrives in clear: converting it fails, naming the codec and the fix', async function () {
    const refused: string[] = [];
    const codec = new AesGcmPayloadCodec(keyring, { required: true, onRefused: (why) => refused.push(why) });
    const [decoded] = await codec.decode([clear]);
    assert.throws(
      () => defaultPayloadConverter.fromPayload(decoded!),
      /arrived in clear and was refused.*codec\.required.*EKM_CODEC_KEYS/,
    );
    assert.equal(refused.length, 1);
    // Its own payloads still read back.
    const [round] = await codec.decode(await codec.encode([clear]));
    assert.deepEqual(defaultPayloadConverter.fromPayload(round!), { vote: 'approve' });
  });

  it('without required, a clear payload passes through (histories from before encryption)', async function () {
    const [decoded] = await new AesGcmPayloadCodec(keyring).decode([clear]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), { vote: 'approve' });
  });
});
