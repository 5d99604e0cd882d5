import assert from 'node:assert/strict';
import * as net from 'node:net';
import { assertPortFree, freePort, PortInUseError, portFromEnv } from '../../sandbox/ports';

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
});
