// The quota layer in front of moto: an HTTP proxy the sandbox's worker and clients are pointed at instead
// of moto. Each request is named (`kms:CreateKey`, `iam:PutRolePolicy`, `sts:AssumeRole`) from its
// X-Amz-Target or its query Action, scoped to its account and region, counted, and — past its quota's rate
// — answered as AWS answers throttling, so the AWS SDK classifies it as throttling: JSON services (KMS,
// CloudTrail) HTTP 400 `ThrottlingException`, query services (IAM, STS) HTTP 400 `Throttling`.
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerQuotaControl } from './control';
import type { QuotaBook } from './quotaBook';

/** moto's account when an access key is not one it handed out for another account (MOTO_ACCOUNT_ID). */
export const motoDefaultAccount = '123456789012';

export interface AwsQuotaProxy {
  endpoint: string;
  close(): Promise<void>;
}

interface Named {
  action: string;
  protocol: 'json' | 'query';
  accessKeyId: string;
  region: string;
}

/** The SigV4 credential scope names the access key, the region and the service. */
function nameRequest(req: http.IncomingMessage, body: Buffer): Named {
  const scope = /Credential=([^/]+)\/\d+\/([^/]+)\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
  const [, accessKeyId = '', region = 'us-east-1', signingService = 'unknown'] = scope ?? [];
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    // TrentService.CreateKey (KMS), CloudTrail_20131101.LookupEvents
    const operation = target.split('.').pop() ?? target;
    return { action: `${signingService}:${operation}`, protocol: 'json', accessKeyId, region };
  }
  const url = new URL(req.url ?? '/', 'http://moto');
  const form = new URLSearchParams(body.toString('utf8'));
  const operation = form.get('Action') ?? url.searchParams.get('Action') ?? `${req.method} ${url.pathname}`;
  return { action: `${signingService}:${operation}`, protocol: 'query', accessKeyId, region };
}

function throttle(res: http.ServerResponse, named: Named): void {
  const requestId = randomUUID();
  const message = 'Rate exceeded';
  if (named.protocol === 'json') {
    const body = JSON.stringify({ __type: 'ThrottlingException', message });
    res.writeHead(400, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': 'ThrottlingException',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const body = `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(400, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startAwsQuotaProxy(options: {
  /** moto's own address, e.g. http://127.0.0.1:40123. */
  target: string;
  port?: number;
  book: QuotaBook;
}): Promise<AwsQuotaProxy> {
  const target = new URL(options.target);
  // Credentials STS hands out belong to the assumed role's account (as in moto): learnt from its answers.
  const accountOfKey = new Map<string, string>();
  const server = http.createServer((req, res) => {
    void (async () => {
      if (await answerQuotaControl(options.book, req, res)) return;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const named = nameRequest(req, body);
      const header = req.headers['x-moto-account-id'];
      const account =
        accountOfKey.get(named.accessKeyId) ?? (typeof header === 'string' ? header : motoDefaultAccount);
      const admission = options.book.admit(named.action, `${account}/${named.region}`);
      if (!admission.admitted) return throttle(res, named);
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          if (named.action !== 'sts:AssumeRole' || answer.statusCode !== 200) {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          answer.on('data', (d: Buffer) => parts.push(d));
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text.toString('utf8'))?.[1];
            const role = new URLSearchParams(body.toString('utf8')).get('RoleArn') ?? '';
            const roleAccount = role.split(':')[4];
            if (key && roleAccount) accountOfKey.set(key, roleAccount);
            res.writeHead(answer.statusCode ?? 200, answer.headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`the sandbox's quota proxy could not reach moto: ${err.message}`);
      });
      upstream.end(body);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
