// The worker's `usage.cloudTrailMaxPages`: how many LookupEvents pages one trail read reads before it
// stops. Default kept (100 pages, 5,000 events), bad values refused naming the field, and kept out of the
// run settings' digest (a plan hash must not move when the cap does); a read stopped at it says so.
import assert from 'node:assert/strict';
import { runSettingsActivity } from '../../activities/runSettings';
import { stoppedAtCapNote } from '../../common/usage';
import { stoppedAtCapCaveat } from '../../providers/aws/activities/keyUsage';
import { parseWorkerConfig, WorkerConfigError, type WorkerConfigInput } from '../../worker/config';
import { signersFor } from '../fixtures/approverKeys';

const readWorker = { role: 'read', mutatingTaskQueue: 'ekm-changes' } as const;

describe('worker configuration: usage.cloudTrailMaxPages', function () {
  it('defaults to 100 pages (5,000 events) and takes another', function () {
    assert.equal(parseWorkerConfig(readWorker).usage.cloudTrailMaxPages, 100);
    const config = parseWorkerConfig({ ...readWorker, usage: { cloudTrailMaxPages: 400 } });
    assert.equal(config.usage.cloudTrailMaxPages, 400);
    assert.equal(config.usage.deliveryLagSeconds, 900, 'the other usage fields keep their defaults');
  });

  const bad: [string, unknown, RegExp][] = [
    ['zero', 0, /usage\.cloudTrailMaxPages: must be at least 1 page \(leave the field out for the default/],
    ['a fraction', 2.5, /usage\.cloudTrailMaxPages: must be a whole number of pages \(50 events each\)/],
    ['a string', '400', /usage\.cloudTrailMaxPages: must be a whole number of pages/],
    ['too many', 20_001, /usage\.cloudTrailMaxPages: must be at most 20000 pages .*narrow the window/],
  ];
  for (const [what, value, message] of bad)
    it(`refuses ${what}, naming the field`, function () {
      assert.throws(
        () => parseWorkerConfig({ ...readWorker, usage: { cloudTrailMaxPages: value as number } }),
        (err: Error) => err instanceof WorkerConfigError && message.test(err.message),
      );
    });

  it('stays out of the run settings and their digest: a plan hash does not move with the cap', async function () {
    const policy = { approvers: ['alice@example.com'], quorum: 1, deadlineSeconds: 3600 };
    const base: WorkerConfigInput = {
      aws: { endpoint: 'http://127.0.0.1:9' },
      openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      approvals: {
        gates: { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy },
        signers: signersFor(['alice@example.com']),
      },
    };
    const load = (usage: WorkerConfigInput['usage']) =>
      runSettingsActivity(parseWorkerConfig({ ...base, usage }))();
    const before = await load({});
    const after = await load({ cloudTrailMaxPages: 400 });
    assert.deepEqual(before.usage, {
      deliveryLagSeconds: 900,
      propagationGraceSeconds: 300,
      lookbackSeconds: 604800,
    });
    assert.equal(after.digest, before.digest);
    // …while a setting that belongs to the plan still moves it (the comparison can fail).
    assert.notEqual((await load({ lookbackSeconds: 3600 })).digest, before.digest);
  });
});

describe('a read stopped at its page cap', function () {
  it('says so in the caveat (with the field to raise) and in the record’s line; a whole read says nothing', function () {
    assert.match(
      stoppedAtCapCaveat(3, 150),
      /incomplete: the read stopped at the worker's cap of 3 page\(s\) \(150 events read\).*lower bounds.*usage\.cloudTrailMaxPages/,
    );
    assert.match(
      stoppedAtCapNote({ truncated: true, eventsScanned: 150 }),
      /incomplete: the read stopped at its page cap after 150 events; the counts are lower bounds/,
    );
    assert.equal(stoppedAtCapNote({ truncated: false, eventsScanned: 150 }), '');
  });
});
