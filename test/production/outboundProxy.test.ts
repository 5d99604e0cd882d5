// HTTPS_PROXY / HTTP_PROXY / NO_PROXY honoured by every outbound client, in the world: a revocation per
// cloud whose worker reaches moto, the Cloud KMS fake and the OpenAI twin through TCP fronts that record
// where each connection came from; the local forward proxy counts each target and connects from
// 127.0.0.2, so every connection a front saw from 127.0.0.2 went through the proxy and none came direct
// (127.0.0.1). Then NO_PROXY: the same clients reach loopback directly when it is listed, and through the
// proxy when it is not (nothing bypasses localhost implicitly).
import assert from 'node:assert/strict';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { getGlobalDispatcher, request, setGlobalDispatcher, type Dispatcher } from 'undici';
import { useEnvironmentProxy } from '../../activities/proxy/useEnvironmentProxy';
import { keyWorkflowId } from '../../common/workflowIds';
import { createAwsClients } from '../../providers/aws/activities/clients';
import { createGcpClients } from '../../providers/gcp/activities/clients';
import { keyOf } from '../../providers/runSubject';
import { revokeKey } from '../../workflows/revokeKey';
import { devEnvironment } from '../fixtures/environments';
import {
  proxySourceAddress,
  startForwardProxy,
  startFront,
  type ForwardProxy,
  type Front,
} from '../fixtures/forwardProxy';
import {
  approvers,
  revocationScenarios,
  vote,
  waitForStatus,
  type RevocationWorld,
} from '../fixtures/revoke';
import { moto } from '../fixtures/services';
import { withWorker, type WithWorkerOptions } from '../fixtures/worker';

const proxyVariables = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

/** The worker's endpoints replaced by fronts (moto, the twin, the Cloud KMS fake), each recording its peers. */
async function throughFronts(
  options: WithWorkerOptions,
  motoEndpoint: string,
): Promise<{ options: WithWorkerOptions; fronts: Record<string, Front> }> {
  const gcp = options.config?.gcp;
  const twinUrl = options.openai!.baseUrl;
  const fronts: Record<string, Front> = { twin: await startFront(hostPort(twinUrl)) };
  if (options.aws) fronts.moto = await startFront(hostPort(motoEndpoint));
  if (gcp?.endpoint) fronts.cloudKms = await startFront(gcp.endpoint);
  const front = (url: string, name: string) => url.replace(hostPort(url), fronts[name]!.address);
  return {
    fronts,
    options: {
      ...options,
      ...(fronts.moto ? { awsEndpoint: front(motoEndpoint, 'moto') } : {}),
      cloudTrailEndpoint: options.cloudTrailEndpoint && front(options.cloudTrailEndpoint, 'twin'),
      openai: { ...options.openai!, baseUrl: front(twinUrl, 'twin') },
      config: { ...options.config, ...(gcp ? { gcp: { ...gcp, endpoint: fronts.cloudKms!.address } } : {}) },
    },
  };
}

const hostPort = (address: string) => address.replace(/^https?:\/\//, '').replace(/\/.*$/, '');

describe('outbound proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', function () {
  let proxy: ForwardProxy;
  let saved: Record<string, string | undefined>;
  let dispatcher: Dispatcher;

  /** Sets the proxy variables as an operator would, and installs them as the worker's start does. */
  function useProxy(noProxy: string) {
    for (const name of proxyVariables) delete process.env[name];
    process.env.HTTPS_PROXY = proxy.url;
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = noProxy;
    useEnvironmentProxy();
  }

  before(async function () {
    // The shared dev server's client (cached for every later test file) connects before any proxy is set:
    // a gRPC channel keeps the proxy it was made with, and this proxy closes when the file ends.
    await devEnvironment();
    proxy = await startForwardProxy();
    saved = Object.fromEntries(proxyVariables.map((name) => [name, process.env[name]]));
    dispatcher = getGlobalDispatcher();
  });
  after(async function () {
    for (const name of proxyVariables)
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    setGlobalDispatcher(dispatcher);
    await proxy?.close();
  });

  it('NO_PROXY lists loopback: AWS, undici and gRPC clients go direct; unlisted, loopback is proxied too', async function () {
    const motoEndpoint = (await moto()).endpoint;
    const scenario = revocationScenarios.find((s) => s.provider === 'gcp')!;
    const w = await scenario.world('remove-binding', 2);
    try {
      const fake = w.worker().config!.gcp!.endpoint!;
      const twinUrl = w.worker().openai!.baseUrl;
      const calls = async () => {
        await createAwsClients({ region: 'us-east-1', endpoint: motoEndpoint }).kms.send(
          new ListKeysCommand({}),
        );
        const answer = await request(`${twinUrl}/v1/organization/projects`, {
          headers: { authorization: `Bearer ${w.adminKey}` },
        });
        await answer.body.dump();
        const gcp = createGcpClients({ projectId: 'ekm-proxy-test', endpoint: fake });
        await gcp.kms
          .listKeyRings({ parent: 'projects/ekm-proxy-test/locations/global' })
          .catch(() => undefined);
        await gcp.kms.close();
      };
      const targets = [hostPort(motoEndpoint), hostPort(twinUrl), fake];
      const snapshot = () => targets.map((t) => proxy.count(t));

      useProxy('127.0.0.1');
      const before = snapshot();
      await calls();
      assert.deepEqual(snapshot(), before, 'a client went through the proxy to a NO_PROXY host');

      // Only another host listed: loopback has no implicit exemption in any of the three clients.
      useProxy('example.com');
      await calls();
      const after = snapshot();
      targets.forEach((t, i) =>
        assert.ok(after[i]! > before[i]!, `${t} was not reached through the proxy (${targets.join(' ')})`),
      );
    } finally {
      await w.close();
    }
  });

  for (const [provider, method] of [
    ['aws', 'key-policy-deny'],
    ['gcp', 'remove-binding'],
  ] as const) {
    it(`${provider} ${method}: the whole revocation, every call to its cloud and the twin through the proxy`, async function () {
      const scenario = revocationScenarios.find((s) => s.provider === provider)!;
      const w: RevocationWorld = await scenario.world(method, 2);
      try {
        const env = await devEnvironment();
        const motoEndpoint = (await moto()).endpoint;
        const { options, fronts } = await throughFronts(w.worker(), motoEndpoint);
        // Nothing listed: Temporal from the test's own client goes through the proxy too (the worker's
        // connection is Temporal's Rust core, which reads no proxy variable).
        useProxy('');
        const before = new Map(proxy.counts);
        const request = scenario.request(w, method);
        const result = await withWorker(
          env,
          async ({ client, taskQueue }) => {
            const handle = await client.workflow.start(revokeKey, {
              taskQueue,
              workflowId: keyWorkflowId(keyOf(request)),
              args: [request],
            });
            await vote(handle, 'revoke', approvers[0]!);
            await waitForStatus(
              handle,
              (s) => s.steps.find((x) => x.step === 'revoke')?.state === 'done',
              'the revoke',
            );
            await vote(handle, 'archive', approvers[1]!);
            return handle.result();
          },
          options,
        );
        assert.equal(result.endState, 'completed', result.endReason);
        const through = (target: string) => proxy.count(target) - (before.get(target) ?? 0);
        try {
          for (const [name, front] of Object.entries(fronts)) {
            assert.ok(through(front.address) > 0, `no request to ${name} went through the proxy`);
            assert.ok(front.peers.length > 0, `${name} saw no connection`);
            assert.deepEqual(
              front.peers.filter((peer) => peer !== proxySourceAddress),
              [],
              `${name} was reached directly, not through the proxy`,
            );
          }
          assert.deepEqual(
            Object.keys(fronts).sort(),
            provider === 'aws' ? ['moto', 'twin'] : ['cloudKms', 'twin'],
          );
        } finally {
          for (const front of Object.values(fronts)) await front.close();
        }
      } finally {
        await w.close();
      }
    });
  }
});
