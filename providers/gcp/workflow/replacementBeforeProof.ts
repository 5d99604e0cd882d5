// The Google Cloud replacement as runs from before `replacement-owned-by-proof` made it: kept unchanged so
// their recorded histories replay (workflows/revoke/provisionBeforeProof.ts says why it changed).
import { workflowInfo } from '@temporalio/workflow';
import type { ApprovalProof } from '../../../common/approvalProof';
import type { GcpAccessSnapshot, GcpRevocationBaseline, GcpRevokeKeyRequest } from '../request';
import { call } from '../../../workflows/revoke/call';
import { withOpenAiSide } from '../../../workflows/revoke/provisionBeforeProof';
import type { Replacement } from '../../../workflows/revoke/provision';
import { giveOpenAiItsOldRole } from './replacement';

/**
 * Google Cloud: a new key in the old key's ring (found by name and this run's label on a retry, so it is
 * a plain idempotent change), OpenAI's principal given the role it held on the old key, and a GCP
 * registration with the workload identity OpenAI already uses at this customer.
 */
export async function provisionGcpReplacementBeforeProof(
  request: GcpRevokeKeyRequest,
  baseline: GcpRevocationBaseline,
  approval: ApprovalProof,
  before: GcpAccessSnapshot,
): Promise<Replacement> {
  const { workflowId, runId } = workflowInfo();
  const suffix = runId.slice(0, 8);
  const oldKeyId = request.keyName.split('/').pop()!;
  const newKeyId = `${oldKeyId.slice(0, 63 - suffix.length - 1)}-${suffix}`;
  const key = await call('change', 'createGcpReplacementKey', `create the replacement key ${newKeyId}`, {
    keyName: request.keyName,
    newKeyId,
    workflowId: `${workflowId}/${runId}`,
    step: 'replacement-key',
    approval,
  });
  const replacement: Replacement = { keyName: key.keyName, projects: [] };
  const registration = baseline.externalKey?.gcp;
  if (request.product !== 'api' || !registration) return replacement; // ChatGPT Enterprise: support takes it from here

  await giveOpenAiItsOldRole(request, key.keyName, before, approval);
  return withOpenAiSide(
    replacement,
    (name) => ({ type: 'gcp', name, gcp: { ...registration, keyName: key.keyName } }),
    baseline.projects,
    suffix,
    approval,
  );
}
