// OpenAI's GCP registration (reference/openai-ekm.md): the body the Admin API takes, and the fields it
// answers with, read into the view the workflow hands on. A registration names its key in four parts; the
// workflow speaks of the key by its resource name, so both directions live here.
import type { ExternalKeyView, GcpExternalKeyFields } from '../../common/openaiViews';
import { toExternalKeyView } from './answers';

/** The Admin API body that registers a Cloud KMS key (type "gcp"). */
export interface GcpRegistrationBody {
  type: 'gcp';
  name: string;
  workload_identity_project_number: string;
  workload_identity_pool_id: string;
  workload_identity_provider_id: string;
  audience: string;
  kms_project_id: string;
  kms_key_location: string;
  kms_key_ring_name: string;
  kms_key_name: string;
}

const keyNameParts = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)$/;

/** The body registering `fields.keyName` under `name`, with OpenAI's workload identity from `fields`. */
export function gcpRegistrationBody(name: string, fields: GcpExternalKeyFields): GcpRegistrationBody {
  const parts = keyNameParts.exec(fields.keyName);
  if (!parts) throw new Error(`${fields.keyName} is not a Cloud KMS key name`); // checked by the input schema
  const [, project, location, ring, key] = parts as unknown as [string, string, string, string, string];
  return {
    type: 'gcp',
    name,
    workload_identity_project_number: fields.workloadIdentityProjectNumber,
    workload_identity_pool_id: fields.workloadIdentityPoolId,
    workload_identity_provider_id: fields.workloadIdentityProviderId,
    audience: fields.audience,
    kms_project_id: project,
    kms_key_location: location,
    kms_key_ring_name: ring,
    kms_key_name: key,
  };
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The GCP fields of an external key as OpenAI answers it; undefined for another cloud's or a partial one. */
export function gcpFieldsOf(raw: unknown): GcpExternalKeyFields | undefined {
  const k = (raw ?? {}) as Record<string, unknown>;
  if (k.type !== 'gcp') return undefined;
  const project = text(k.kms_project_id);
  const location = text(k.kms_key_location);
  const ring = text(k.kms_key_ring_name);
  const key = text(k.kms_key_name);
  const number = text(k.workload_identity_project_number);
  const pool = text(k.workload_identity_pool_id);
  const provider = text(k.workload_identity_provider_id);
  const audience = text(k.audience);
  if (!project || !location || !ring || !key || !number || !pool || !provider || !audience) return undefined;
  return {
    keyName: `projects/${project}/locations/${location}/keyRings/${ring}/cryptoKeys/${key}`,
    workloadIdentityProjectNumber: number,
    workloadIdentityPoolId: pool,
    workloadIdentityProviderId: provider,
    audience,
  };
}

/** An external key of either cloud as the workflow sees it: AWS fields, or the GCP ones. */
export function toRegistrationView(raw: unknown): ExternalKeyView {
  const view = toExternalKeyView(raw);
  const gcp = gcpFieldsOf(raw);
  return gcp ? { ...view, gcp } : view;
}
