// Is the CLI talking to Temporal Cloud? Cloud namespaces are managed through its control plane (`tcld`, the
// Cloud UI), not the operator API, so commands that change a namespace print the `tcld` command instead.

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Whether the connection profile carries an API key (TEMPORAL_API_KEY, or api_key in the profile). */
  apiKey: boolean;
}

/** Cloud endpoints: `<ns>.<account>.tmprl.cloud` (mTLS) and `<region>.<cloud>.api.temporal.io` (API keys). */
const cloudHost = /(\.tmprl\.cloud|\.api\.temporal\.io)$/i;
/** Cloud namespace ids are `<name>.<account id>`, the account id five lowercase letters and digits. */
const cloudNamespace = /^[a-z0-9][a-z0-9-]*\.[a-z0-9]{5}$/;

/** Why the target is Temporal Cloud, or undefined for a self-hosted server. */
export function temporalCloudReason(target: TemporalTarget): string | undefined {
  const host = target.address.replace(/:\d+$/, '');
  if (target.apiKey) return 'the connection profile has an API key';
  if (cloudHost.test(host)) return `${host} is a Temporal Cloud endpoint`;
  if (cloudNamespace.test(target.namespace)) return `${target.namespace} is a Temporal Cloud namespace id`;
  return undefined;
}
