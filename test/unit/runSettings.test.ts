import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { runSettingsActivity } from '../../activities/runSettings';
import { EkmError } from '../../common/errors';
import { parseWorkerConfig, WorkerConfigError, type WorkerConfigInput } from '../../worker/config';
import { signersFor } from '../fixtures/approverKeys';

const policy = { approvers: ['alice@example.com', 'bob@example.com'], quorum: 1, deadlineSeconds: 3600 };
const everyGate = { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy };
/** A read worker's configuration: it starts without gates, and the runs it hosts refuse without them. */
const asRead = { role: 'read', mutatingTaskQueue: 'ekm-changes' } as const;
const loopback = { aws: { endpoint: 'http://127.0.0.1:9' }, openai: { baseUrl: 'http://127.0.0.1:9/v1' } };
// Every person these tests name has a key: a production worker refuses a policy naming someone without one.
const people = ['alice', 'bob', 'carol', 'dan', 'erin', 'oncall'].map((p) => `${p}@example.com`);
const withKeys = (raw: WorkerConfigInput): WorkerConfigInput => ({
  ...raw,
  approvals: { signers: signersFor(people), ...raw.approvals },
});
const load = (raw: WorkerConfigInput) => runSettingsActivity(parseWorkerConfig(withKeys(raw)))();

describe('run settings', function () {
  const refusedGates: [string, WorkerConfigInput['approvals'], RegExp][] = [
    [
      'no approval policy at all',
      {},
      /no approval policy for the revoke, archive, deletion, restore gate\(s\): add approvals\.gates\.revoke = \{ "approvers": \[\.\.\.\], "quorum": 1 \} to the file named by EKM_WORKER_CONFIG/,
    ],
    [
      'no policy for the archive gate',
      { gates: { revoke: policy, deletion: policy, restore: policy } },
      /no approval policy for the archive gate\(s\): add approvals\.gates\.archive = .* EKM_WORKER_CONFIG/,
    ],
    [
      'a break-glass policy but no restore gate',
      { gates: { revoke: policy, archive: policy, deletion: policy }, breakGlass: policy },
      /no approval policy for the restore gate\(s\): add approvals\.gates\.restore/,
    ],
  ];
  for (const [what, approvals, message] of refusedGates) {
    it(`refuses a configuration with ${what} (WorkerMisconfigured, naming the gate and the key)`, async function () {
      await assert.rejects(load({ ...asRead, approvals }), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
        assert.equal(err.type, EkmError.WorkerMisconfigured);
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('records the mode, the endpoints and the waits the worker is configured with', async function () {
    const settings = await load({
      sandbox: true,
      aws: { endpoint: 'http://127.0.0.1:5000' },
      openai: { baseUrl: 'http://127.0.0.1:5099/v1' },
      revoke: { cacheWaitSeconds: 3, validateConfirmations: 2 },
      approvals: { gates: everyGate },
    });
    assert.equal(settings.mode, 'sandbox');
    assert.equal(settings.openAiBaseUrl, 'http://127.0.0.1:5099/v1');
    assert.equal(settings.awsRegion, 'us-east-1');
    assert.equal(settings.cacheWaitSeconds, 3);
    assert.equal(settings.validateConfirmations, 2);
    assert.match(settings.digest, /^[0-9a-f]{64}$/);
    assert.equal((await load({ approvals: { gates: everyGate } })).mode, 'production');
  });

  it('lets every approver of every gate and of break-glass attest when no attesters are named', async function () {
    const settings = await load({
      approvals: {
        gates: {
          revoke: { approvers: ['alice@example.com', 'bob@example.com'] },
          archive: { approvers: ['carol@example.com', 'alice@example.com'] },
          deletion: { approvers: ['dan@example.com'] },
          restore: { approvers: ['bob@example.com'] },
          rotate: { approvers: ['bob@example.com'] },
        },
        breakGlass: { approvers: ['erin@example.com'] },
      },
    });
    assert.deepEqual([...settings.approvals.attesters].sort(), [
      'alice@example.com',
      'bob@example.com',
      'carol@example.com',
      'dan@example.com',
      'erin@example.com',
    ]);
  });

  it('uses the attesters the configuration names', async function () {
    const settings = await load({ approvals: { gates: everyGate, attesters: ['oncall@example.com'] } });
    assert.deepEqual(settings.approvals.attesters, ['oncall@example.com']);
  });

  it('fills the policy defaults (quorum 1, a day to decide)', async function () {
    const settings = await load({
      approvals: { gates: { ...everyGate, revoke: { approvers: ['alice@example.com'] } } },
    });
    assert.deepEqual(settings.approvals.gates.revoke, {
      approvers: ['alice@example.com'],
      quorum: 1,
      deadlineSeconds: 86400,
    });
  });

  it('has the same digest for the same configuration, written in another order', async function () {
    const a = await load({
      approvals: { gates: everyGate },
      sandbox: true,
      ...loopback,
      revoke: { cacheWaitSeconds: 3 },
    });
    const b = await load({
      revoke: { cacheWaitSeconds: 3 },
      openai: loopback.openai,
      sandbox: true,
      aws: loopback.aws,
      approvals: {
        gates: { rotate: policy, restore: policy, deletion: policy, archive: policy, revoke: policy },
      },
    });
    assert.equal(b.digest, a.digest);
  });

  const digestChanges: [string, WorkerConfigInput][] = [
    ['a quorum', { approvals: { gates: { ...everyGate, revoke: { ...policy, quorum: 2 } } } }],
    [
      'an approver',
      { approvals: { gates: { ...everyGate, archive: { ...policy, approvers: ['alice@example.com'] } } } },
    ],
    ['a deadline', { approvals: { gates: { ...everyGate, deletion: { ...policy, deadlineSeconds: 600 } } } }],
    ['the break-glass policy', { approvals: { gates: everyGate, breakGlass: policy } }],
    ['the attester list', { approvals: { gates: everyGate, attesters: ['alice@example.com'] } }],
    ['the task deadline', { approvals: { gates: everyGate, taskDeadlineSeconds: 3600 } }],
    ['the cache wait', { approvals: { gates: everyGate }, revoke: { cacheWaitSeconds: 7200 } }],
    ['the validate confirmations', { approvals: { gates: everyGate }, revoke: { validateConfirmations: 5 } }],
    ['the OpenAI host', { approvals: { gates: everyGate }, openai: { baseUrl: 'https://example.test/v1' } }],
    ['the AWS region', { approvals: { gates: everyGate }, aws: { region: 'eu-west-1' } }],
  ];
  for (const [what, raw] of digestChanges) {
    it(`has another digest when ${what} changes`, async function () {
      const base = await load({ approvals: { gates: everyGate } });
      assert.notEqual((await load(raw)).digest, base.digest);
    });
  }
});

describe('worker configuration: revocation safety', function () {
  const refused: [string, unknown, RegExp][] = [
    [
      'a cache wait under an hour outside the sandbox',
      { revoke: { cacheWaitSeconds: 60 } },
      /revoke\.cacheWaitSeconds: must be at least 3600 against the real OpenAI API .*only a sandbox worker may wait less/,
    ],
    [
      'a cache wait of 3599 s outside the sandbox',
      { revoke: { cacheWaitSeconds: 3599 } },
      /revoke\.cacheWaitSeconds/,
    ],
    [
      'a cache wait under an hour with sandbox explicitly false',
      { sandbox: false, revoke: { cacheWaitSeconds: 3 } },
      /revoke\.cacheWaitSeconds: must be at least 3600/,
    ],
    [
      'a gate quorum larger than its approvers',
      { approvals: { gates: { revoke: { approvers: ['alice@example.com'], quorum: 2 } } } },
      /approvals\.gates\.revoke\.quorum: quorum is larger than the number of distinct approvers: no vote could ever pass/,
    ],
    [
      'a break-glass quorum larger than its approvers',
      { approvals: { breakGlass: { approvers: ['alice@example.com', 'bob@example.com'], quorum: 3 } } },
      /approvals\.breakGlass\.quorum: quorum is larger than the number of distinct approvers/,
    ],
    [
      'a gate without approvers',
      { approvals: { gates: { archive: { approvers: [] } } } },
      /approvals\.gates\.archive\.approvers: must name at least one approver/,
    ],
    [
      'a quorum of 0',
      { approvals: { gates: { revoke: { approvers: ['alice@example.com'], quorum: 0 } } } },
      /approvals\.gates\.revoke\.quorum: must be at least 1/,
    ],
    [
      'a gate deadline under a minute',
      { approvals: { gates: { revoke: { approvers: ['alice@example.com'], deadlineSeconds: 59 } } } },
      /approvals\.gates\.revoke\.deadlineSeconds: must be at least 60 seconds/,
    ],
    ['an unknown gate kind', { approvals: { gates: { rotation: policy } } }, /approvals\.gates/],
  ];
  for (const [what, raw, message] of refused) {
    it(`refuses ${what}`, function () {
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

  it('counts the same approver twice only once towards the quorum', function () {
    // Two entries for one person (or the same address in another case) can never give two votes:
    // refuseVote refuses the second. Such a quorum could never pass.
    for (const approvers of [
      ['alice@example.com', 'alice@example.com'],
      ['alice@example.com', ' Alice@Example.com'],
    ])
      assert.throws(
        () => parseWorkerConfig(withKeys({ approvals: { gates: { revoke: { approvers, quorum: 2 } } } })),
        /approvals\.gates\.revoke\.quorum/,
        `approvers ${JSON.stringify(approvers)} with quorum 2 were accepted`,
      );
  });

  it('lets a sandbox worker wait less, and any worker wait an hour or more', function () {
    assert.equal(
      parseWorkerConfig({ ...asRead, ...loopback, sandbox: true, revoke: { cacheWaitSeconds: 3 } }).revoke
        .cacheWaitSeconds,
      3,
    );
    assert.equal(
      parseWorkerConfig({ ...asRead, revoke: { cacheWaitSeconds: 3600 } }).revoke.cacheWaitSeconds,
      3600,
    );
    assert.equal(parseWorkerConfig(asRead).revoke.cacheWaitSeconds, 3600);
  });

  it('accepts a quorum equal to the number of approvers', function () {
    const config = parseWorkerConfig(
      withKeys({
        approvals: {
          gates: { ...everyGate, revoke: { approvers: ['alice@example.com', 'bob@example.com'], quorum: 2 } },
        },
      }),
    );
    assert.equal(config.approvals.gates.revoke?.quorum, 2);
  });
});
