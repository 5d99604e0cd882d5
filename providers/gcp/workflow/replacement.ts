// The Google Cloud replacement (runbook: "provision a replacement"): a key in the old key's ring labelled as
// this run's, OpenAI's principal given the role it held on the old key, then the OpenAI side every cloud
// shares (provision.ts).
import { workflowInfo } from '@temporalio/workflow';
import type { ApprovalProof } from '../../../common/approvalProof';
import type { GcpAccessSnapshot, GcpRevocationBaseline, GcpRevokeKeyRequest } from '../request';
import type { Gatekeeper } from '../../../workflows/approvals/gatekeeper';
import { call } from '../../../workflows/revoke/call';
import {
  attemptName,
  makeOwned,
  runTag,
  withOpenAiSide,
  type Replacement,
} from '../../../workflows/revoke/provision';

/**
 * Google Cloud: a new key in the old key's ring (labelled with the worker's marker, so a retry recognises
 * it), OpenAI's principal given the role it held on the old key, and a GCP registration with the workload
 * identity OpenAI already uses at this customer.
 */
export async function provisionGcpReplacement(
  request: GcpRevokeKeyRequest,
  baseline: GcpRevocationBaseline,
  gates: Gatekeeper,
  before: GcpAccessSnapshot,
): Promise<Replacement> {
  const approval = gates.proof('archive');
  const { workflowId, runId } = workflowInfo();
  const tag = runTag(runId);
  const oldKeyId = request.keyName.split('/').pop()!;
  const newKeyId = (n: number) => {
    const suffix = attemptName(tag, n);
    return `${oldKeyId.slice(0, 63 - suffix.length - 1)}-${suffix}`;
  };
  const create = (n: number, adopt: boolean) =>
    call(
      'change',
      'createGcpReplacementKey',
      `${adopt ? 'adopt' : 'create'} the replacement key ${newKeyId(n)}`,
      {
        keyName: request.keyName,
        newKeyId: newKeyId(n),
        workflowId: `${workflowId}/${runId}`,
        step: 'replacement-key',
        ...(adopt ? { adopt } : {}),
        approval,
      },
    );
  const made: Replacement = { projects: [] };
  const key = await makeOwned(
    {
      what: 'replacement key',
      name: newKeyId,
      create: (n) => create(n, false),
      adopt: (_candidate, n) => create(n, true),
    },
    gates,
    made,
  );
  made.keyName = key.keyName;
  const registration = baseline.externalKey?.gcp;
  if (request.product !== 'api' || !registration) return made; // ChatGPT Enterprise: support takes it from here

  await giveOpenAiItsOldRole(request, key.keyName, before, approval);
  return withOpenAiSide(
    made,
    (name) => ({ type: 'gcp', name, gcp: { ...registration, keyName: key.keyName } }),
    { type: 'gcp', keyName: key.keyName },
    baseline.projects,
    tag,
    gates,
  );
}

/**
 * OpenAI's principal gets, on the replacement key, the role it held on the old one (a custom role with the
 * two use permissions, as OpenAI's setup has customers make); the predefined encrypter/decrypter when it
 * held none directly.
 */
export async function giveOpenAiItsOldRole(
  request: GcpRevokeKeyRequest,
  keyName: string,
  before: GcpAccessSnapshot,
  approval: ApprovalProof,
): Promise<void> {
  const role = before.bindings.find(
    (b) => b.resource === request.keyName && b.member === request.principal && !b.condition,
  )?.role;
  await call('change', 'grantGcpOpenAiAccess', 'give OpenAI access to the replacement key', {
    keyName,
    principal: request.principal,
    ...(role ? { role } : {}),
    approval,
  });
}
