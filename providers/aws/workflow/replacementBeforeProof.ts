// The AWS replacement as runs from before `replacement-owned-by-proof` made it: kept unchanged so their
// recorded histories replay (workflows/revoke/provisionBeforeProof.ts says why it changed).
import { workflowInfo } from '@temporalio/workflow';
import type { ApprovalProof } from '../../../common/approvalProof';
import type { AwsRevocationBaseline, AwsRevokeKeyRequest } from '../request';
import { call } from '../../../workflows/revoke/call';
import { createOnce, withOpenAiSide } from '../../../workflows/revoke/provisionBeforeProof';
import type { Replacement } from '../../../workflows/revoke/provision';

export async function provisionAwsReplacementBeforeProof(
  request: AwsRevokeKeyRequest,
  baseline: AwsRevocationBaseline,
  approval: ApprovalProof,
): Promise<Replacement> {
  const { workflowId, runId } = workflowInfo();
  const suffix = runId.slice(0, 8);
  const owner = `${workflowId}/${runId}`;
  const keyStep = { workflowId: owner, step: 'replacement-key' };
  const key = await createOnce(
    'replacement KMS key',
    () => call('read', 'findReplacementKey', 'look for a replacement key this run made', keyStep),
    () =>
      call('once', 'createReplacementKeyOnce', 'create the replacement KMS key (one attempt)', {
        ...keyStep,
        description: `ekm: replacement for ${request.keyArn} (${request.changeTicket})`,
        approval,
      }),
  );
  const replacement: Replacement = { keyArn: key.keyArn, projects: [] };
  const externalId = baseline.externalKey?.externalId;
  if (request.product !== 'api' || !externalId) return replacement; // ChatGPT Enterprise: support takes it from here

  const { roleArn } = await call('change', 'grantOpenAiAccess', 'give OpenAI access to the replacement key', {
    keyArn: key.keyArn,
    roleName: `ekm-openai-${suffix}`,
    externalId,
    approval,
  });
  replacement.roleArn = roleArn;
  return withOpenAiSide(
    replacement,
    (name) => ({ name, roleArn, kmsArn: key.keyArn, externalId }),
    baseline.projects,
    suffix,
    approval,
  );
}
