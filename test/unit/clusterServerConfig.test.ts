// The PostgreSQL cluster's server configuration (sandbox/cluster/serverConfig.ts): what the test in
// test/cluster/ relies on without reading YAML — shards, both stores on postgres12, loopback only.
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  clusterPortNames,
  renderDynamicConfig,
  renderServerConfig,
  type ClusterPorts,
} from '../../sandbox/cluster/serverConfig';

const ports = Object.fromEntries(
  clusterPortNames.map((name, i) => [name, 20000 + i]),
) as unknown as ClusterPorts;
const input = {
  ports,
  postgres: { port: 25432, user: 'temporal', password: 'pw' },
  historyShards: 4,
  dynamicConfigFile: '/tmp/dc.yaml',
};

describe('the PostgreSQL cluster server configuration', function () {
  it('has the shards, postgres12 for the default and the visibility store, every service on loopback', function () {
    const config = parse(renderServerConfig(input)) as {
      persistence: {
        numHistoryShards: number;
        defaultStore: string;
        visibilityStore: string;
        datastores: Record<
          string,
          { sql: { pluginName: string; databaseName: string; connectAddr: string } }
        >;
      };
      services: Record<
        string,
        { rpc: { grpcPort: number; membershipPort: number; bindOnLocalHost: boolean } }
      >;
    };
    assert.equal(config.persistence.numHistoryShards, 4);
    const stores = config.persistence.datastores;
    assert.deepEqual(
      [stores[config.persistence.defaultStore]!.sql, stores[config.persistence.visibilityStore]!.sql].map(
        (s) => [s.pluginName, s.databaseName, s.connectAddr],
      ),
      [
        ['postgres12', 'temporal', '127.0.0.1:25432'],
        ['postgres12', 'temporal_visibility', '127.0.0.1:25432'],
      ],
    );
    assert.deepEqual(Object.keys(config.services).sort(), ['frontend', 'history', 'matching', 'worker']);
    assert.ok(Object.values(config.services).every((s) => s.rpc.bindOnLocalHost));
    assert.equal(config.services.frontend!.rpc.grpcPort, ports.frontend);
    const used = Object.values(config.services).flatMap((s) => [s.rpc.grpcPort, s.rpc.membershipPort]);
    assert.equal(new Set(used).size, used.length, 'no port twice');
  });

  it('refuses a shard count that is not a whole number ≥ 1, naming the field', function () {
    for (const historyShards of [0, 2.5, -1])
      assert.throws(
        () => renderServerConfig({ ...input, historyShards }),
        /historyShards: .* whole number ≥ 1/,
      );
  });

  it('makes registered search attributes visible at once', function () {
    const dynamic = parse(renderDynamicConfig()) as Record<string, { value: unknown }[]>;
    assert.equal(dynamic['system.forceSearchAttributesCacheRefreshOnRead']![0]!.value, true);
  });
});
