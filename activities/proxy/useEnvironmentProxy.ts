// Installs the environment's proxy for the clients that do not read it themselves, once per process (the
// worker's and the CLI's start): undici's global dispatcher (the OpenAI Admin API, notifications, and Node's
// fetch: the codec server's OIDC keys) becomes an EnvHttpProxyAgent; grpc-js (Cloud KMS, Cloud Logging, the
// CLI's Temporal connection) reads only the lower-case names, so upper-case ones are copied to them. The
// AWS clients take their agent from awsRequestHandler.
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';
import { proxyEnvironment, type ProxyEnvironment } from './proxyEnvironment';

export function useEnvironmentProxy(env: NodeJS.ProcessEnv = process.env): ProxyEnvironment | undefined {
  const proxy = proxyEnvironment(env);
  if (!proxy) return undefined;
  setGlobalDispatcher(new EnvHttpProxyAgent());
  // grpc-js: grpc_proxy, else https_proxy, else http_proxy; no_grpc_proxy, else no_proxy (host suffixes).
  env.https_proxy ??= proxy.httpsProxy ?? proxy.httpProxy;
  if (proxy.noProxy) env.no_proxy ??= proxy.noProxy;
  return proxy;
}
