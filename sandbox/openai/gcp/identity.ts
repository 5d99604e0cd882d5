// Who OpenAI is in the customer's Google Cloud: no service account of the customer's, but OpenAI's Google
// ID token exchanged through the Workload Identity Pool the customer registered for it, so IAM sees the
// pool's principal for OpenAI's token subject (reference/openai-ekm.md, "OpenAI's identity in each cloud").
import type { GcpExternalKeyFields } from '../state';

/** The subject of OpenAI's Google ID token (issuer https://accounts.google.com). */
export const openAiGoogleSubject = '105900137572174660365';

/** The IAM member the customer grants on the key, and the one the twin calls Cloud KMS as. */
export function openAiPrincipal(
  key: Pick<GcpExternalKeyFields, 'workload_identity_project_number' | 'workload_identity_pool_id'>,
  subject: string = openAiGoogleSubject,
): string {
  return `principal://iam.googleapis.com/projects/${key.workload_identity_project_number}/locations/global/workloadIdentityPools/${key.workload_identity_pool_id}/subject/${subject}`;
}
