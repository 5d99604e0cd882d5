// The listing shared by reads that ask while another runs (activities/openai/sharedListing.ts): one runs,
// one waits for it, and a listing's failure is only its own callers'.
import assert from 'node:assert/strict';
import { sharedListings } from '../../activities/openai/sharedListing';

/** A listing the test ends by hand, recording when each one started. */
function manualListings() {
  const started: { key: string; end: (v: string) => void; fail: (e: Error) => void }[] = [];
  const list = (key: string) => () => new Promise<string>((end, fail) => started.push({ key, end, fail }));
  return { started, list };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('sharedListings', () => {
  it('a read that asks while a listing runs gets the next one, shared with every other that asked meanwhile', async () => {
    const share = sharedListings<string>();
    const { started, list } = manualListings();
    const first = share('k', list('k'));
    const second = share('k', list('k'));
    const third = share('k', list('k'));
    await tick();
    assert.equal(started.length, 1, 'one listing runs; the others wait for it to end');
    started[0]!.end('as it was');
    assert.equal(await first, 'as it was');
    await tick();
    assert.equal(started.length, 2, 'the next listing started once the first ended');
    started[1]!.end('as it is now');
    assert.deepEqual(await Promise.all([second, third]), ['as it is now', 'as it is now']);
    // Nothing is kept: the next read lists again.
    const fourth = share('k', list('k'));
    await tick();
    assert.equal(started.length, 3);
    started[2]!.end('later');
    assert.equal(await fourth, 'later');
  });

  it('a failed listing fails its own readers only; the next one still runs', async () => {
    const share = sharedListings<string>();
    const { started, list } = manualListings();
    const first = share('k', list('k'));
    const second = share('k', list('k'));
    started[0]!.fail(new Error('429'));
    await assert.rejects(first, /429/);
    await tick();
    started[1]!.end('read');
    assert.equal(await second, 'read');
  });

  it('lists of different keys do not wait for one another', async () => {
    const share = sharedListings<string>();
    const { started, list } = manualListings();
    const keys = share('organization/external_keys?', list('keys'));
    const projects = share('organization/projects?limit=100', list('projects'));
    await tick();
    assert.deepEqual(
      started.map((s) => s.key),
      ['keys', 'projects'],
    );
    started[1]!.end('p');
    started[0]!.end('k');
    assert.deepEqual(await Promise.all([keys, projects]), ['k', 'p']);
  });
});
