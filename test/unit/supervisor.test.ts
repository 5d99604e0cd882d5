// The sandbox's supervisor (sandbox/supervisor.ts): the restart policy's arithmetic, and, with tiny `node -e`
// processes standing in for the worker, a killed process started again and a crash loop given up on.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProcess, type ServiceProcess } from '../../sandbox/process';
import { restartDecision, Supervised, type RestartPolicy } from '../../sandbox/supervisor';

const policy: RestartPolicy = { maxRestarts: 5, windowMs: 60_000, backoffMs: 1000, maxBackoffMs: 8000 };

describe('sandbox supervisor', function () {
  let dir: string;
  const started: ServiceProcess[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-supervisor-'));
  });
  afterEach(async () => {
    for (const service of started.splice(0)) await service.stop(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const nodeProcess = (script: string) => async () => {
    const service = startProcess('test process', process.execPath, ['-e', script], {
      logFile: path.join(dir, 'test.log'),
    });
    started.push(service);
    return service;
  };

  it('backs off 1, 2, 4, 8, 8 s and gives up on the sixth death within a minute', function () {
    const now = 1_000_000;
    const waits: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const decision = restartDecision(times, now + i, policy);
      assert.ok(decision.restart);
      waits.push(decision.afterMs);
      times.push(now + i);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000]);
    assert.deepEqual(restartDecision(times, now + 10, policy), { restart: false });
    // Restarts older than the window no longer count: a worker killed once an hour is always restarted.
    assert.deepEqual(restartDecision(times, now + 61_000, policy), {
      restart: true,
      afterMs: 1000,
      recent: 0,
    });
  });

  it('starts a killed process again and reports each start', async function () {
    let stopping = false;
    const ups: [number, boolean][] = [];
    const lines: string[] = [];
    const supervised = new Supervised({
      name: 'the test process',
      start: nodeProcess('setInterval(() => {}, 1000)'),
      stopping: () => stopping,
      onUp: (service, restarted) => ups.push([service.child.pid!, restarted]),
      policy: { ...policy, backoffMs: 10 },
      log: (line) => lines.push(line),
    });
    const first = await supervised.begin();
    process.kill(first.child.pid!, 'SIGKILL');
    for (let i = 0; i < 100 && ups.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ups.length, 2, lines.join('\n'));
    assert.deepEqual(ups[0], [first.child.pid, false]);
    assert.equal(ups[1]![1], true);
    assert.notEqual(ups[1]![0], first.child.pid);
    assert.equal(supervised.current?.child.pid, ups[1]![0]);
    assert.match(
      lines[0]!,
      /the test process exited \(signal SIGKILL\); restarting it in 0\.01 s \(restart 1 of at most 5/,
    );
    // A death while the sandbox stops is expected: nothing is restarted.
    stopping = true;
    await supervised.current!.stop(1000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ups.length, 2);
  });

  it('gives up on a process that keeps dying, with its log', async function () {
    const supervised = new Supervised({
      name: 'the test process',
      start: nodeProcess('console.log("about to fail"); setTimeout(() => process.exit(3), 50)'),
      stopping: () => false,
      policy: { maxRestarts: 2, windowMs: 60_000, backoffMs: 10, maxBackoffMs: 10 },
      log: () => undefined,
    });
    await supervised.begin();
    const why = await supervised.gaveUp;
    assert.match(why, /^the test process died 3 times within 60 s \(last: code 3\); not restarting it again/);
    assert.match(why, /about to fail/);
  });
});
