// The quota layer in the Cloud KMS fake: every gRPC method is counted under its service's name
// (`cloudkms:Encrypt`, `cloudkms:SetIamPolicy`, `logging:ListLogEntries`) and, past its quota's rate in the
// project, refused with RESOURCE_EXHAUSTED (gRPC code 8) and the message Google gives for quota metrics.
import type { QuotaBook } from './quotaBook';

/** The admission check the fake runs before each call (sandbox/gcp/rpc.ts). */
export function gcpAdmission(book: QuotaBook, projectId: string) {
  return (methodName: string): { refused: false } | { refused: true; message: string } => {
    const service = methodName === 'ListLogEntries' ? 'logging' : 'cloudkms';
    const admission = book.admit(`${service}:${methodName}`, `projects/${projectId}`);
    if (admission.admitted) return { refused: false };
    return {
      refused: true,
      message: `Quota exceeded for quota metric '${admission.quota}' and limit '${admission.quota} per minute' of service '${service}.googleapis.com' for consumer 'project:${projectId}'.`,
    };
  };
}
