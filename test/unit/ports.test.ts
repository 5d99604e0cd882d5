import assert from 'node:assert/strict';
import * as net from 'node:net';
import {
  assertFetchablePort,
  assertPortFree,
  BadPortError,
  fetchBadPorts,
  freePort,
  PortInUseError,
  portFromEnv,
  sandboxDefaultPorts,
} from '../../sandbox/ports';

describe('port checks', function () {
  it('passes for a free port and names port, owner and variable for a taken one', async function () {
    const port = await freePort();
    await assertPortFree(port, 'Temporal server', 'EKM_TEMPORAL_PORT');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(assertPortFree(port, 'Temporal server', 'EKM_TEMPORAL_PORT'), (err: Error) => {
        assert.ok(err instanceof PortInUseError);
        assert.match(err.message, new RegExp(`^Port ${port} \\(Temporal server\\) is already in use`));
        assert.match(err.message, /EKM_TEMPORAL_PORT=<port> npm start/);
        return true;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads a port from the environment and refuses anything else', function () {
    const saved = process.env.EKM_TEST_PORT;
    try {
      delete process.env.EKM_TEST_PORT;
      assert.equal(portFromEnv('EKM_TEST_PORT', 7233), 7233);
      process.env.EKM_TEST_PORT = '7243';
      assert.equal(portFromEnv('EKM_TEST_PORT', 7233), 7243);
      for (const bad of ['0', '70000', 'abc', '72.5']) {
        process.env.EKM_TEST_PORT = bad;
        assert.throws(() => portFromEnv('EKM_TEST_PORT', 7233), /EKM_TEST_PORT=.* is not a port/);
      }
    } finally {
      if (saved === undefined) delete process.env.EKM_TEST_PORT;
      else process.env.EKM_TEST_PORT = saved;
    }
  });

  it("puts no default sandbox port on the fetch standard's bad-port list", function () {
    for (const [envVar, port] of Object.entries(sandboxDefaultPorts)) {
      assert.ok(
        !fetchBadPorts.has(port),
        `${envVar}'s default ${port} is a bad port: fetch clients refuse it`,
      );
    }
    // The Web UI defaults to the Temporal port + 1000: the listed default is that sum.
    assert.equal(sandboxDefaultPorts.EKM_UI_PORT, sandboxDefaultPorts.EKM_TEMPORAL_PORT + 1000);
    assert.equal(new Set(Object.values(sandboxDefaultPorts)).size, Object.keys(sandboxDefaultPorts).length);
  });

  it('refuses a bad port for an HTTP service, naming the variable', function () {
    assert.ok(fetchBadPorts.has(5060) && fetchBadPorts.has(6679) && fetchBadPorts.has(10080));
    assert.throws(
      () => assertFetchablePort(5060, 'the OpenAI twin', 'EKM_OPENAI_PORT'),
      (err: Error) => {
        assert.ok(err instanceof BadPortError);
        assert.match(
          err.message,
          /^Port 5060 \(the OpenAI twin\) is on the fetch standard's list of bad ports/,
        );
        assert.match(err.message, /EKM_OPENAI_PORT=<port> npm start/);
        return true;
      },
    );
    assertFetchablePort(sandboxDefaultPorts.EKM_OPENAI_PORT, 'the OpenAI twin', 'EKM_OPENAI_PORT');
  });

  it("matches Node's own fetch, which refuses every listed port before it connects", async function () {
    // Port 0 is in the standard's table but is not a port anything listens on; Node tries to connect to it.
    for (const port of [...fetchBadPorts].filter((p) => p !== 0)) {
      await assert.rejects(fetch(`http://127.0.0.1:${port}/`), (err: Error) => {
        assert.match(String((err.cause as Error | undefined)?.message), /bad port/, `port ${port}`);
        return true;
      });
    }
  });
});
