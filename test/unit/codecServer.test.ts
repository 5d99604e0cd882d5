// The codec server over HTTP: CORS for the UI origin only, read-only mode, and in production mode OIDC
// access tokens checked against an issuer this test runs on loopback (discovery document and JWKS).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, makeKeyring } from '../../codec';
import { OidcVerifier } from '../../codec/oidc';
import {
  payloadsFromJson,
  payloadsToJson,
  startCodecServer,
  type RunningCodecServer,
} from '../../codec/server';
import { startSandboxCodec } from '../../sandbox/codecSandbox';

const uiOrigin = 'http://127.0.0.1:8233';
const codec = new AesGcmPayloadCodec(makeKeyring(new Map([['k1', randomBytes(32)]]), 'k1', 'test'));
const body = (value: unknown) => JSON.stringify(payloadsToJson([defaultPayloadConverter.toPayload(value)]));

/** A minimal OpenID provider: discovery and JWKS over loopback http, and a signer for its tokens. */
async function startIssuer() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url === '/.well-known/openid-configuration')
      res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
    else if (req.url === '/jwks')
      res.end(
        JSON.stringify({
          keys: [
            { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
            { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
          ],
        }),
      );
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const now = Math.floor(Date.now() / 1000);
  const token = (
    claims: Record<string, unknown> = {},
    { alg = 'RS256', key }: { alg?: 'RS256' | 'ES256'; key?: KeyObject } = {},
  ) => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${enc({ alg, kid: alg === 'RS256' ? 'rsa-1' : 'ec-1', typ: 'JWT' })}.${enc({
      iss: url,
      aud: 'ekm-codec',
      sub: 'u-1',
      email: 'alice@example.com',
      iat: now,
      exp: now + 300,
      ...claims,
    })}`;
    const signature =
      alg === 'RS256'
        ? sign('sha256', Buffer.from(input), key ?? rsa.privateKey)
        : sign('sha256', Buffer.from(input), { key: key ?? ec.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };
  return { url, token, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const post = (
  server: RunningCodecServer,
  path: string,
  headers: Record<string, string> = {},
  payload = body('x'),
) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
    body: payload,
  });

describe('codec server', function () {
  const servers: { close(): Promise<void> }[] = [];
  const start = async (opts: Partial<Parameters<typeof startCodecServer>[0]> = {}) => {
    const server = await startCodecServer({
      codec,
      host: '127.0.0.1',
      port: 0,
      uiOrigin,
      log: () => {},
      ...opts,
    });
    servers.push(server);
    return server;
  };
  after(() => Promise.all(servers.map((s) => s.close())));

  it('answers a CORS preflight for the UI origin, and refuses another origin', async function () {
    const server = await start();
    const preflight = (origin: string) =>
      fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
        },
      });
    const ok = await preflight(uiOrigin);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), uiOrigin);
    assert.match(ok.headers.get('access-control-allow-methods')!, /POST/);
    for (const h of ['Content-Type', 'Authorization', 'X-Namespace'])
      assert.ok(ok.headers.get('access-control-allow-headers')!.split(', ').includes(h), h);

    const other = await preflight('http://evil.example');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const sneaky = await post(server, '/decode', { Origin: 'http://127.0.0.1:8234' });
    assert.equal(sneaky.status, 403);
    assert.equal(sneaky.headers.get('access-control-allow-origin'), null);
  });

  it('encodes and decodes in the protocol’s JSON (base64 bytes), also under a /{namespace}/ prefix', async function () {
    const server = await start();
    const encoded = await post(server, '/encode', { Origin: uiOrigin }, body({ secret: 'arn:aws:kms:x' }));
    assert.equal(encoded.status, 200);
    assert.equal(encoded.headers.get('access-control-allow-origin'), uiOrigin);
    const encodedJson = (await encoded.json()) as { payloads: { metadata: Record<string, string> }[] };
    assert.equal(
      Buffer.from(encodedJson.payloads[0]!.metadata.encoding!, 'base64').toString(),
      'binary/encrypted',
    );
    const decoded = await post(server, '/default/decode', {}, JSON.stringify(encodedJson));
    assert.equal(decoded.status, 200);
    const [payload] = payloadsFromJson(await decoded.json());
    assert.deepEqual(defaultPayloadConverter.fromPayload(payload!), { secret: 'arn:aws:kms:x' });
  });

  it('refuses /encode when read-only, still decodes', async function () {
    const server = await start({ readOnly: true });
    assert.equal((await post(server, '/encode')).status, 403);
    assert.equal((await post(server, '/decode')).status, 200);
  });

  it('refuses malformed requests clearly', async function () {
    const server = await start();
    assert.equal((await post(server, '/decode', {}, '{"payloads": 3}')).status, 400);
    assert.equal((await post(server, '/decode', {}, '{"payloads": [{"data": "not base64!"}]}')).status, 400);
    assert.equal((await post(server, '/decode', { 'Content-Type': 'text/plain' })).status, 415);
    assert.equal((await fetch(`${server.url}/decode`)).status, 405);
    assert.equal((await post(server, '/elsewhere')).status, 404);
  });

  it('binds to loopback only without an OIDC issuer', async function () {
    await assert.rejects(start({ host: '0.0.0.0' }), /binds to loopback only/);
  });

  describe('with an OIDC issuer', function () {
    let issuer: Awaited<ReturnType<typeof startIssuer>>;
    let server: RunningCodecServer;
    before(async function () {
      issuer = await startIssuer();
      server = await start({ verifier: new OidcVerifier({ issuer: issuer.url, audience: 'ekm-codec' }) });
    });
    after(() => issuer.close());
    const decodeWith = async (token?: string) => {
      const res = await post(
        server,
        '/decode',
        token ? { Authorization: `Bearer ${token}`, Origin: uiOrigin } : {},
      );
      return { status: res.status, error: ((await res.json()) as { error?: string }).error };
    };
    const now = Math.floor(Date.now() / 1000);

    it('decodes for a valid token (RS256 and ES256)', async function () {
      assert.equal((await decodeWith(issuer.token())).status, 200);
      assert.equal((await decodeWith(issuer.token({}, { alg: 'ES256' }))).status, 200);
    });

    it('answers a preflight without a token (browsers send none there)', async function () {
      const res = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: uiOrigin } });
      assert.equal(res.status, 204);
    });

    for (const [what, token, message] of [
      ['no token', () => undefined, /bearer token is required/],
      ['a wrong audience', () => issuer.token({ aud: 'someone-else' }), /audience is not ekm-codec/],
      ['an expired token', () => issuer.token({ exp: now - 600 }), /expired/],
      ['a token not valid yet', () => issuer.token({ nbf: now + 600 }), /not valid yet/],
      ['another issuer', () => issuer.token({ iss: 'http://127.0.0.1:1' }), /issuer/],
      [
        'a token signed by another key',
        () => issuer.token({}, { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }),
        /signature does not verify/,
      ],
      [
        'alg none',
        () => `${Buffer.from('{"alg":"none","kid":"rsa-1"}').toString('base64url')}.e30.`,
        /algorithm none/,
      ],
      ['garbage', () => 'not-a-jwt', /not a JWT/],
    ] as const) {
      it(`answers 401 to ${what}`, async function () {
        const { status, error } = await decodeWith(token());
        assert.equal(status, 401);
        assert.match(error ?? '', message);
      });
    }
  });

  it('sandbox: generates one key into the data folder (0600), keeps it, and serves the UI origin', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-codec-sandbox-'));
    const before = process.env.EKM_DATA_DIR;
    process.env.EKM_DATA_DIR = dir;
    try {
      const first = await startSandboxCodec({ port: 0, uiOrigin });
      servers.push(first);
      const key = fs.readFileSync(first.keyFile, 'utf8');
      assert.equal(fs.statSync(first.keyFile).mode & 0o777, 0o600);
      assert.deepEqual(first.env, { EKM_CODEC_KEYS_FILE: first.keyFile, EKM_CODEC_KEY_ID: 'sandbox-1' });
      const second = await startSandboxCodec({ port: 0, uiOrigin });
      servers.push(second);
      assert.equal(fs.readFileSync(second.keyFile, 'utf8'), key, 'a restart keeps the key');
      const encoded = await post(first, '/encode', { Origin: uiOrigin });
      const decoded = await post(second, '/decode', {}, await encoded.text());
      assert.equal(decoded.status, 200);
    } finally {
      if (before === undefined) delete process.env.EKM_DATA_DIR;
      else process.env.EKM_DATA_DIR = before;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
