import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWorkerConfig, parseWorkerConfig, WorkerConfigError } from '../../worker/config';

describe('worker configuration', function () {
  const dirs: string[] = [];
  const tempFile = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-cfg-'));
    dirs.push(dir);
    return path.join(dir, 'worker.json');
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('defaults to the ekm task queue, us-east-1, real AWS endpoints, not a sandbox', function () {
    // The defaults alone start only a read worker (see configAuthority.test.ts): one that changes things
    // needs a policy for every gate.
    assert.deepEqual(loadWorkerConfig({}, { role: 'read', mutatingTaskQueue: 'ekm-changes' }), {
      taskQueue: 'ekm-lifecycle',
      mutatingTaskQueue: 'ekm-changes',
      role: 'read',
      sandbox: false,
      aws: {
        region: 'us-east-1',
        openAiPrincipals: ['arn:aws:iam::790389265272:role/EnterpriseKeyManagement'],
      },
      openai: {
        baseUrl: 'https://api.openai.com/v1',
        adminKeyEnv: 'OPENAI_ADMIN_KEY',
        revokedMatchers: [
          'error surfaced from the cloud provider: (AccessDenied(Exception)?|DisabledException|KMSInvalidStateException|NotFoundException|PERMISSION_DENIED|FAILED_PRECONDITION|NOT_FOUND)\\b',
        ],
        deniedMatchers: ['external_key_access_denied'],
        projectKeys: {},
      },
      revoke: {
        cacheWaitSeconds: 3600,
        validateConfirmations: 3,
        validateIntervalSeconds: 20,
        validateWindowSeconds: 900,
        probeWindowSeconds: 1800,
        probeIntervalSeconds: 60,
      },
      usage: {
        deliveryLagSeconds: 900,
        propagationGraceSeconds: 300,
        lookbackSeconds: 604800,
        cloudTrailMaxPages: 100,
      },
      watchdog: { pollSeconds: 3600, cancelDeletionOnUse: false },
      // No approval policy by default: a worker that changes things refuses to start until every gate has one.
      approvals: { gates: {}, signers: {}, taskDeadlineSeconds: 604800 },
      notifications: {},
      evidence: { directory: './ekm-evidence' },
      ownership: { secretEnv: 'EKM_OWNERSHIP_SECRET' },
      shutdownGraceSeconds: 30,
    });
  });

  const bad: [string, unknown, RegExp][] = [
    [
      'an endpoint that is not a URL',
      { aws: { endpoint: 'localhost:5000' } },
      /aws\.endpoint: must be an http:\/\/ or https:\/\/ URL/,
    ],
    ['a region that is not one', { aws: { region: 'mars' } }, /aws\.region: must be an AWS region/],
    ['an unknown setting (a typo must not be ignored)', { taskQueu: 'x' }, /taskQueu/],
    ['a grace time out of range', { shutdownGraceSeconds: -1 }, /shutdownGraceSeconds/],
    [
      'an admin key put where its variable’s name belongs',
      { openai: { adminKeyEnv: 'sk-admin-abc' } },
      /openai\.adminKeyEnv: must be an environment variable name/,
    ],
  ];
  for (const [what, raw, message] of bad) {
    it(`refuses ${what}, naming the field`, function () {
      assert.throws(
        () => parseWorkerConfig(raw, 'cfg.json'),
        (err: Error) => {
          assert.ok(err instanceof WorkerConfigError);
          assert.match(err.message, /^cfg\.json: /);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('names the file and the fix when EKM_WORKER_CONFIG is not JSON', function () {
    const file = tempFile();
    fs.writeFileSync(file, '{ taskQueue: ');
    assert.throws(
      () => loadWorkerConfig({ EKM_WORKER_CONFIG: file }),
      /EKM_WORKER_CONFIG=.*worker\.json: cannot read it as JSON/,
    );
  });

  it('reads the file EKM_WORKER_CONFIG names', function () {
    const file = tempFile();
    const policy = { approvers: ['alice@example.com'] };
    fs.writeFileSync(
      file,
      JSON.stringify({
        sandbox: true,
        aws: { endpoint: 'http://127.0.0.1:5050' },
        openai: { baseUrl: 'http://127.0.0.1:5099/v1' },
        approvals: {
          gates: { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy },
        },
      }),
    );
    const config = loadWorkerConfig({ EKM_WORKER_CONFIG: file });
    assert.equal(config.sandbox, true);
    assert.equal(config.aws.endpoint, 'http://127.0.0.1:5050');
  });
});
