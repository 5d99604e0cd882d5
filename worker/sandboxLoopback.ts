// A sandbox worker accepts unsigned acts and waits less than an hour for OpenAI's key cache: that is only
// safe when everything it can reach is on this machine (the sandbox's moto, twin, fakes). So `sandbox:
// true` is refused with any endpoint that is not loopback, and with one left unset that would mean the
// real service (AWS, api.openai.com, Google, S3).

/** What of a configuration names a place the worker talks to. */
export interface Endpoints {
  sandbox: boolean;
  aws: { endpoint?: string; cloudTrailEndpoint?: string };
  openai: { baseUrl: string };
  gcp?: { endpoint?: string };
  evidence: { s3?: { endpoint?: string } };
  notifications: { webhookUrl?: string };
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackUrl(url: string): boolean {
  try {
    return loopbackHosts.has(new URL(url).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export interface EndpointIssue {
  path: string[];
  message: string;
}

/** Each endpoint of a sandbox configuration that reaches past this machine, naming the field and the fix. */
export function sandboxReachesOut(config: Endpoints): EndpointIssue[] {
  if (!config.sandbox) return [];
  const issues: EndpointIssue[] = [];
  const loopback = (path: string[], url: string | undefined, example: string, unset?: string) => {
    if (url === undefined) {
      if (unset)
        issues.push({
          path,
          message: `is required with sandbox: true (unset, the worker would reach ${unset}): set it to the sandbox's local stand-in, such as ${example}, or turn sandbox off`,
        });
    } else if (!isLoopbackUrl(url))
      issues.push({
        path,
        message: `must be a loopback address (127.0.0.1, localhost or [::1]) with sandbox: true, not ${url}${url === 'https://api.openai.com/v1' ? ' (the default when unset)' : ''}: a sandbox worker takes unsigned approvals, so it may only reach this machine; set it to the local stand-in, such as ${example}, or turn sandbox off`,
      });
  };
  loopback(['aws', 'endpoint'], config.aws.endpoint, 'http://127.0.0.1:5000', 'AWS itself');
  loopback(['aws', 'cloudTrailEndpoint'], config.aws.cloudTrailEndpoint, 'http://127.0.0.1:5099');
  loopback(['openai', 'baseUrl'], config.openai.baseUrl, 'http://127.0.0.1:5099/v1');
  if (config.gcp)
    // Its form is checked to be loopback host:port already; only its absence (Google itself) is left.
    loopback(
      ['gcp', 'endpoint'],
      config.gcp.endpoint && `http://${config.gcp.endpoint}`,
      '127.0.0.1:5070',
      'Google Cloud itself',
    );
  if (config.evidence.s3)
    loopback(
      ['evidence', 's3', 'endpoint'],
      config.evidence.s3.endpoint,
      'http://127.0.0.1:5000',
      'Amazon S3 itself',
    );
  loopback(['notifications', 'webhookUrl'], config.notifications.webhookUrl, 'http://127.0.0.1:5098/hook');
  return issues;
}
