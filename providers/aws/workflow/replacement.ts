// The AWS replacement (runbook: "provision a replacement"): a KMS key tagged as this run's, a role OpenAI
// assumes with the registration's external id, then the OpenAI side every cloud shares (provision.ts).
import { patched, workflowInfo } from '@temporalio/workflow';
import type { AwsRevocationBaseline, AwsRevokeKeyRequest } from '../request';
import type { Gatekeeper } from '../../../workflows/approvals/gatekeeper';
import { call } from '../../../workflows/revoke/call';
import {
  attemptName,
  makeOwned,
  runTag,
  withOpenAiSide,
  type Replacement,
} from '../../../workflows/revoke/provision';

export async function provisionAwsReplacement(
  request: AwsRevokeKeyRequest,
  baseline: AwsRevocationBaseline,
  gates: Gatekeeper,
): Promise<Replacement> {
  const approval = gates.proof('archive');
  const { workflowId, runId } = workflowInfo();
  const tag = runTag(runId);
  const owner = `${workflowId}/${runId}`;
  const made: Replacement = { projects: [] };
  // The replacement is made in the old key's account and region (a worker may serve several: aws.accounts);
  // runs from before made it where the worker's own credentials and region are.
  const where = patched('replacement-in-the-keys-account') ? { oldKeyArn: request.keyArn } : {};
  const keyStep = (n: number) => ({ workflowId: owner, step: attemptName('replacement-key', n), ...where });
  const key = await makeOwned(
    {
      what: 'replacement KMS key',
      name: (n) => `the key tagged ekm:workflow-id=${owner}, ekm:step=${keyStep(n).step}`,
      find: (n) =>
        call('read', 'findReplacementKey', 'look for the replacement key this run made', keyStep(n)),
      create: (n) =>
        call('once', 'createReplacementKeyOnce', 'create the replacement KMS key (one attempt)', {
          ...keyStep(n),
          description: `ekm: replacement for ${request.keyArn} (${request.changeTicket})`,
          // The archive gate approved a replacement of this key by this run.
          ...(gates.bindsActions() ? { replaces: request.keyArn } : {}),
          approval,
        }),
    },
    gates,
    made,
  );
  made.keyArn = key.keyArn;
  const externalId = baseline.externalKey?.externalId;
  if (request.product !== 'api' || !externalId) return made; // ChatGPT Enterprise: support takes it from here

  const grant = (roleName: string, adopt: boolean) =>
    call('change', 'grantOpenAiAccess', `give OpenAI access to the replacement key through ${roleName}`, {
      keyArn: key.keyArn,
      roleName,
      externalId,
      step: 'replacement-role',
      ...(adopt ? { adopt } : {}),
      approval,
    });
  const roleName = (n: number) => attemptName(`ekm-openai-${tag}`, n);
  const { roleArn } = await makeOwned(
    {
      what: 'replacement role',
      name: roleName,
      create: (n) => grant(roleName(n), false),
      adopt: (candidate) => grant(candidate.id, true),
    },
    gates,
    made,
  );
  made.roleArn = roleArn;
  return withOpenAiSide(
    made,
    (name) => ({ name, roleArn, kmsArn: key.keyArn, externalId }),
    { type: 'aws', kmsArn: key.keyArn, roleArn },
    baseline.projects,
    tag,
    gates,
  );
}
