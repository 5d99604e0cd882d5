// The AWS SDK clients' connections through the environment's proxy: the SDK ignores HTTPS_PROXY, so each
// client gets an agent that picks, per request, the proxy or a direct connection (NO_PROXY), the way
// undici does for the other clients. Undefined without a proxy: the SDK's own handler, unchanged.
import * as http from 'node:http';
import * as https from 'node:https';
import { Agent, type AgentConnectOpts } from 'agent-base';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { proxyEnvironment, proxyFor, type ProxyEnvironment } from './proxyEnvironment';

class EnvironmentProxyAgent extends Agent {
  private readonly tunnels = new Map<string, http.Agent>();

  constructor(private readonly proxy: ProxyEnvironment) {
    super({ keepAlive: true });
  }

  connect(_req: http.ClientRequest, options: AgentConnectOpts): http.Agent {
    const url = proxyFor(this.proxy, {
      secure: options.secureEndpoint,
      hostname: options.host ?? 'localhost',
      port: options.port,
    });
    if (!url) return options.secureEndpoint ? https.globalAgent : http.globalAgent;
    const id = `${options.secureEndpoint ? 'https' : 'http'} ${url}`;
    let agent = this.tunnels.get(id);
    if (!agent) {
      // https: a CONNECT tunnel; http: absolute-URI requests to the proxy.
      agent = options.secureEndpoint
        ? new HttpsProxyAgent(url, { keepAlive: true })
        : new HttpProxyAgent(url, { keepAlive: true });
      this.tunnels.set(id, agent);
    }
    return agent;
  }
}

/** `requestHandler` options for an AWS SDK client, or undefined when no proxy is set. */
export function awsRequestHandler(
  env: NodeJS.ProcessEnv = process.env,
): { httpAgent: http.Agent; httpsAgent: http.Agent } | undefined {
  const proxy = proxyEnvironment(env);
  if (!proxy) return undefined;
  const agent = new EnvironmentProxyAgent(proxy);
  return { httpAgent: agent, httpsAgent: agent };
}
