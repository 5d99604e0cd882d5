// The GCP registration body as OpenAI documents it ("EKM (External Keys) in the Management API"): the
// workload identity the customer set up for OpenAI (project number, pool, provider, audience) and the key
// in four parts. Each field is checked against Google's own format for it, and a refusal names the field
// in the same error shape the AWS body gets.
import { HttpError } from '../http';
import type { GcpExternalKeyFields } from '../state';

/** The body's fields, in the order of OpenAI's help article. */
export const gcpRegistrationFields = [
  'workload_identity_project_number',
  'workload_identity_pool_id',
  'workload_identity_provider_id',
  'audience',
  'kms_project_id',
  'kms_key_ring_name',
  'kms_key_name',
  'kms_key_location',
] as const;

type Field = (typeof gcpRegistrationFields)[number];

// Google's formats. Pool and provider ids: 4–32 lowercase letters, digits and dashes ("gcp-" is Google's).
// Project ids: 6–30 characters, a letter first, optionally domain-scoped (example.com:my-project).
// Key ring and key ids: 1–63 letters, digits, "_" and "-".
const workloadIdentityId = /^(?!gcp-)[a-z0-9-]{4,32}$/;
const formats: Partial<Record<Field, { pattern: RegExp; expected: string }>> = {
  workload_identity_project_number: {
    pattern: /^\d{1,19}$/,
    expected: "the GCP project *number* (digits) where OpenAI's workload identity is registered, not its id",
  },
  workload_identity_pool_id: {
    pattern: workloadIdentityId,
    expected: 'a workload identity pool id (4–32 lowercase letters, digits, dashes)',
  },
  workload_identity_provider_id: {
    pattern: workloadIdentityId,
    expected: 'a workload identity provider id (4–32 lowercase letters, digits, dashes)',
  },
  kms_project_id: {
    pattern: /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    expected: 'a GCP project id (6–30 lowercase letters, digits, dashes, a letter first)',
  },
  kms_key_ring_name: {
    pattern: /^[a-zA-Z0-9_-]{1,63}$/,
    expected: "the key ring's id (1–63 letters, digits, _ and -), not a resource name",
  },
  kms_key_name: {
    pattern: /^[a-zA-Z0-9_-]{1,63}$/,
    expected:
      "the key's id (1–63 letters, digits, _ and -), not its resource name: the key is projects/{kms_project_id}/locations/{kms_key_location}/keyRings/{kms_key_ring_name}/cryptoKeys/{kms_key_name}",
  },
  kms_key_location: {
    pattern: /^[a-z][a-z0-9-]{0,62}$/,
    expected: 'a Cloud KMS location such as global or us-east1',
  },
};

function field(body: Record<string, unknown>, name: Field): string {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new HttpError(
      400,
      `Missing required parameter: '${name}'.`,
      'invalid_request_error',
      'missing_required_parameter',
      name,
    );
  }
  const trimmed = value.trim();
  const format = formats[name];
  if (format && !format.pattern.test(trimmed)) {
    throw new HttpError(
      400,
      `Invalid '${name}': expected ${format.expected}.`,
      'invalid_request_error',
      'invalid_value',
      name,
    );
  }
  return trimmed;
}

/** The GCP fields of a registration body (type and name are checked by the caller, as for AWS). */
export function parseGcpRegistration(body: Record<string, unknown>): GcpExternalKeyFields {
  const fields = Object.fromEntries(gcpRegistrationFields.map((name) => [name, field(body, name)])) as Record<
    Field,
    string
  >;
  return { type: 'gcp', ...fields };
}

/** The CryptoKey the registration names, as Cloud KMS spells it. */
export function cryptoKeyName(key: GcpExternalKeyFields): string {
  return `projects/${key.kms_project_id}/locations/${key.kms_key_location}/keyRings/${key.kms_key_ring_name}/cryptoKeys/${key.kms_key_name}`;
}
