// A sandbox worker accepts unsigned acts and waits less than an hour for OpenAI's key cache: that is only
// safe when everything it can reach is on this machine (the sandbox's moto, twin, fakes). So `sandbox:
// true` is refused with any endpoint that is not loopback, and with one left unset that would mean the
// real service (AWS, api.openai.com, Google, S3).

import { cloudSandboxEndpoints, type CloudConfigs } from '../providers/cloudConfigs';

/** What of a configuration names a place the worker talks to (each cloud's section names its own). */
export interface Endpoints extends CloudConfigs {
  sandbox: boolean;
  openai: { baseUrl: string };
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
  const clouds = cloudSandboxEndpoints(config);
  for (const { path, url, example, unset } of clouds.byDefault) loopback(path, url, example, unset);
  loopback(['openai', 'baseUrl'], config.openai.baseUrl, 'http://127.0.0.1:5099/v1');
  for (const { path, url, example, unset } of clouds.whenNamed) loopback(path, url, example, unset);
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
