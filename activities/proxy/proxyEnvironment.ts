// The outbound proxy every client of the worker and the CLI uses, from the usual variables: HTTPS_PROXY
// (https targets), HTTP_PROXY (http targets, and https ones when HTTPS_PROXY is unset), NO_PROXY (hosts
// reached directly). Lower-case names win over upper-case, as undici and curl read them.

export interface ProxyEnvironment {
  httpsProxy?: string;
  httpProxy?: string;
  /** Comma- or space-separated hosts, `.domain` / `*.domain` suffixes, optional `:port`, or `*`. */
  noProxy: string;
}

/** The proxy settings of `env`, or undefined when no proxy is set. */
export function proxyEnvironment(env: NodeJS.ProcessEnv = process.env): ProxyEnvironment | undefined {
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY || undefined;
  const httpProxy = env.http_proxy || env.HTTP_PROXY || undefined;
  if (!httpsProxy && !httpProxy) return undefined;
  return { httpsProxy, httpProxy, noProxy: env.no_proxy ?? env.NO_PROXY ?? '' };
}

/** The proxy URL for a target, or undefined when it is reached directly (NO_PROXY, or no proxy for it). */
export function proxyFor(
  proxy: ProxyEnvironment,
  target: { secure: boolean; hostname: string; port: number },
): string | undefined {
  const url = target.secure ? (proxy.httpsProxy ?? proxy.httpProxy) : proxy.httpProxy;
  return url && !bypassed(proxy.noProxy, target.hostname.toLowerCase(), target.port) ? url : undefined;
}

/** NO_PROXY as undici's EnvHttpProxyAgent reads it, so every client agrees on what is direct. */
function bypassed(noProxy: string, hostname: string, port: number): boolean {
  if (noProxy.trim() === '*') return true;
  return noProxy
    .split(/[,\s]/)
    .filter(Boolean)
    .some((entry) => {
      const m = /^(.+):(\d+)$/.exec(entry);
      const host = (m ? m[1]! : entry).replace(/^\*?\./, '').toLowerCase();
      if (m && Number(m[2]) !== port) return false;
      return hostname === host || hostname.endsWith(`.${host}`);
    });
}
