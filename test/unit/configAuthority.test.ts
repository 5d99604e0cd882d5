// Attacks on the worker's configuration and on the switches it holds (issue "Authority", finding 1 and 5):
// a worker that changes things with a gate it has no policy for, a sandbox worker pointed at real
// endpoints, two people sharing one signing key, and a signature valid for days.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validForSeconds } from '../../client/actSigner';
import { UsageError } from '../../client/errors';
import { refuseSignature, voteStatement } from '../../common/signedStatement';
import {
  loadWorkerConfig,
  parseWorkerConfig,
  WorkerConfigError,
  type WorkerConfigInput,
} from '../../worker/config';
import { approverKey, signatureBy, signersFor } from '../fixtures/approverKeys';

const alice = 'alice@example.com';
const bob = 'bob@example.com';
const policy = { approvers: [alice, bob] };
const fourGates = { revoke: policy, archive: policy, deletion: policy, restore: policy };
const everyGate = { ...fourGates, rotate: policy };
const signers = signersFor([alice, bob]);
/** A sandbox worker that reaches only loopback hosts. */
const loopback = {
  sandbox: true,
  aws: { endpoint: 'http://127.0.0.1:5000' },
  openai: { baseUrl: 'http://127.0.0.1:5099/v1' },
} satisfies WorkerConfigInput;

function refused(raw: unknown, ...messages: RegExp[]): void {
  assert.throws(
    () => parseWorkerConfig(raw, 'cfg.json'),
    (err: Error) => {
      assert.ok(err instanceof WorkerConfigError, String(err));
      for (const message of messages) assert.match(err.message, message);
      return true;
    },
  );
}

describe('attack: a worker that changes things without a policy for every gate it serves', function () {
  it('refuses role all without a rotate gate, naming approvals.gates.rotate and the fix', function () {
    refused(
      { approvals: { gates: fourGates, signers } },
      /approvals\.gates\.rotate: is missing/,
      /role all/,
      /EKM_WORKER_CONFIG/,
    );
  });

  it('refuses a mutating worker with no approvals section, naming every gate', function () {
    refused(
      { role: 'mutating', mutatingTaskQueue: 'ekm-changes' },
      /approvals\.gates\.revoke: is missing/,
      /revoke, archive, deletion, restore, rotate/,
    );
  });

  it('refuses the defaults a worker gets without EKM_WORKER_CONFIG, saying the variable is not set', function () {
    assert.throws(
      () => loadWorkerConfig({}),
      (err: Error) => {
        assert.ok(err instanceof WorkerConfigError, String(err));
        assert.match(err.message, /EKM_WORKER_CONFIG is not set/);
        assert.match(err.message, /approvals\.gates\.revoke: is missing/);
        return true;
      },
    );
  });

  it('`ekm worker --role read` takes a file without gates: the override is judged with the file', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-cfg-'));
    try {
      const file = path.join(dir, 'worker.json');
      fs.writeFileSync(file, JSON.stringify({ mutatingTaskQueue: 'ekm-changes' }));
      assert.throws(
        () => loadWorkerConfig({ EKM_WORKER_CONFIG: file }),
        /approvals\.gates\.revoke: is missing/,
      );
      assert.equal(loadWorkerConfig({ EKM_WORKER_CONFIG: file }, { role: 'read' }).role, 'read');
      assert.throws(
        () => loadWorkerConfig({ EKM_WORKER_CONFIG: file }, { role: 'mutating' }),
        /\(with --role mutating\): approvals\.gates\.revoke: is missing: a worker with role mutating/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a read worker start without gates, and a worker with every gate', function () {
    assert.equal(parseWorkerConfig({ role: 'read', mutatingTaskQueue: 'ekm-changes' }).role, 'read');
    assert.ok(parseWorkerConfig({ approvals: { gates: everyGate, signers } }).approvals.gates.rotate);
  });
});

describe('attack: a sandbox worker pointed at something other than this machine', function () {
  const sandboxWith = (extra: object): object => ({
    ...loopback,
    approvals: { gates: everyGate },
    ...extra,
  });

  const cases: [string, object, RegExp][] = [
    [
      'a real KMS endpoint',
      { aws: { endpoint: 'https://kms.us-east-1.amazonaws.com' } },
      /aws\.endpoint: must be a loopback address/,
    ],
    ['no AWS endpoint (AWS itself)', { aws: {} }, /aws\.endpoint: is required with sandbox: true/],
    [
      'no OpenAI address (api.openai.com by default)',
      { openai: {} },
      /openai\.baseUrl: must be a loopback address.*api\.openai\.com\/v1 \(the default when unset\)/,
    ],
    [
      'the real OpenAI API',
      { openai: { baseUrl: 'https://api.openai.com/v1' } },
      /openai\.baseUrl: must be a loopback address/,
    ],
    [
      'a real CloudTrail endpoint',
      {
        aws: {
          endpoint: 'http://127.0.0.1:5000',
          cloudTrailEndpoint: 'https://cloudtrail.us-east-1.amazonaws.com',
        },
      },
      /aws\.cloudTrailEndpoint: must be a loopback address/,
    ],
    [
      'a host that only starts with 127.0.0.1',
      { aws: { endpoint: 'http://127.0.0.1.attacker.example:5000' } },
      /aws\.endpoint: must be a loopback address/,
    ],
    [
      'a real evidence bucket',
      {
        evidence: {
          signingKeyEnv: 'EKM_EVIDENCE_KEY',
          s3: {
            bucket: 'evidence',
            retentionDays: 1,
            mode: 'GOVERNANCE',
            endpoint: 'https://s3.amazonaws.com',
          },
        },
      },
      /evidence\.s3\.endpoint: must be a loopback address/,
    ],
    [
      'a real webhook',
      { notifications: { webhookUrl: 'https://hooks.example.com/ekm' } },
      /notifications\.webhookUrl: must be a loopback address/,
    ],
    [
      'Google Cloud itself',
      { gcp: { projectId: 'customer-prod' } },
      /gcp\.endpoint: is required with sandbox: true/,
    ],
  ];
  for (const [what, extra, message] of cases)
    it(`refuses sandbox: true with ${what}, naming the field`, function () {
      refused(sandboxWith(extra), message, /sandbox/);
    });

  it('takes a sandbox on 127.0.0.1, localhost and [::1]', function () {
    for (const host of ['127.0.0.1', 'localhost', '[::1]'])
      assert.equal(
        parseWorkerConfig(
          sandboxWith({
            aws: { endpoint: `http://${host}:5000`, cloudTrailEndpoint: `http://${host}:5001` },
            openai: { baseUrl: `http://${host}:5099/v1` },
            notifications: { webhookUrl: `http://${host}:5098/hook` },
          }),
        ).sandbox,
        true,
      );
  });
});

describe('attack: two people with one signing key', function () {
  it('refuses the configuration, naming both people and the key', function () {
    const shared = approverKey(alice).publicKey;
    refused(
      { approvals: { gates: everyGate, signers: { [alice]: [shared], [bob]: [shared] } } },
      /approvals\.signers/,
      new RegExp(`${alice}.*${bob}`),
      new RegExp(shared.slice(0, 20)),
    );
  });
});

describe('attack: a signature valid for days', function () {
  const run = { workflowId: 'ekm-key:test', runId: 'run-1' };
  const vote = { gateId: 'revoke-1', planHash: 'a'.repeat(64), decision: 'approve', approver: alice };
  const keys = { keys: { [alice]: [approverKey(alice).publicKey] }, unsignedAccepted: false };

  it('refuses a statement that expires more than 24 h after it is checked, naming the bound', function () {
    const signature = signatureBy(alice, (e) => voteStatement(run, vote, e), 7 * 86_400_000);
    const why = refuseSignature(voteStatement(run, vote, signature.expiresAt), signature, keys, Date.now());
    assert.match(why ?? 'accepted', /valid for more than 24 h/);
  });

  it('takes one valid for 24 h', function () {
    const signature = signatureBy(alice, (e) => voteStatement(run, vote, e), 86_400_000 - 1000);
    assert.equal(
      refuseSignature(voteStatement(run, vote, signature.expiresAt), signature, keys, Date.now()),
      undefined,
    );
  });

  it('the CLI refuses --valid-for longer than 24 h before it signs anything', function () {
    assert.throws(
      () => validForSeconds({ validFor: '7d' }),
      (err: Error) => err instanceof UsageError && /--valid-for 7d: .*at most 24h/.test(err.message),
    );
    assert.equal(validForSeconds({ validFor: '24h' }), 86400);
    assert.equal(validForSeconds({}), 900);
  });
});
