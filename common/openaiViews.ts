// What the OpenAI steps read and hand on (projects, registrations, probes, validate answers), the same for
// every cloud.
import type { ProbeSpec } from './revocationRequest';

export interface ProjectView {
  id: string;
  name: string;
  status: 'active' | 'archived' | string;
  externalKeyId: string | null;
}

export interface ExternalKeyView {
  id: string;
  name: string;
  type: string;
  roleArn?: string;
  kmsArn?: string;
  externalId?: string;
  /** A GCP registration: the key it names and OpenAI's workload identity at the customer. */
  gcp?: GcpExternalKeyFields;
  projectIds: string[];
}

/** OpenAI's GCP registration body (reference/openai-ekm.md), as the workflow hands it on. */
export interface GcpExternalKeyFields {
  /** projects/{kms_project_id}/locations/{kms_key_location}/keyRings/{kms_key_ring_name}/cryptoKeys/{kms_key_name} */
  keyName: string;
  workloadIdentityProjectNumber: string;
  workloadIdentityPoolId: string;
  workloadIdentityProviderId: string;
  audience: string;
}

/** Every registration that shares the key or the role, and the active projects bound to each. */
export interface BlastRadius {
  externalKeys: ExternalKeyView[];
  /** Active projects bound to any of those external keys. */
  projects: ProjectView[];
}

export type ProbeOutcome = 'readable' | 'denied' | 'unknown';

export interface ProbeResult extends ProbeSpec {
  outcome: ProbeOutcome;
  httpStatus: number | null;
  /** OpenAI's error code when denied or unknown (e.g. external_key_access_denied). */
  code: string | null;
  requestId: string | null;
  why: string;
}

/** A probe round for one project: each object, and a control call that shows the API itself answers. */
export interface ProbeRound {
  projectId: string;
  at: string;
  probes: ProbeResult[];
  control: { ok: boolean; httpStatus: number | null; requestId: string | null; why: string };
}

export type ValidationOutcomeView = 'success' | 'revoked' | 'unknown';

/** One validate answer as the workflow keeps it (the activity's ValidationRecord has this shape). */
export interface ValidationView {
  externalKeyId: string;
  outcome: ValidationOutcomeView;
  why: string;
  httpStatus: number;
  requestId: string | null;
  answeredAt: string;
}

/** What a run keeps of a validate answer: the view's fields, nothing more the activity answered. */
export function validationView(v: ValidationView): ValidationView {
  return {
    externalKeyId: v.externalKeyId,
    outcome: v.outcome,
    why: v.why,
    httpStatus: v.httpStatus,
    requestId: v.requestId,
    answeredAt: v.answeredAt,
  };
}
