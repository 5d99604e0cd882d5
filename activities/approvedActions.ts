// Each gated activity's own action, rebuilt from the arguments it was called with and the run Temporal says
// it belongs to — what requireApproval looks for among the approved gate's actions. Things the plan could
// not name yet (the replacement key, role, external key, projects) are recognised by the run's tag, which
// every name the run gives carries: arguments naming another run's resources are refused here, before any
// approval is looked at.
import type { RunRef } from '../common/signedStatement';
import type { RotationAction } from '../common/planActions';
import type { PlanAction } from '../providers/planActions';
import { restoreAction } from '../providers/runbookActions';
import { runTag } from '../common/runTag';
import type { RegisterAwsKeyRequest, RegisterGcpKeyRequest } from './openai/provision';
import { refusedChange } from './requireApproval';
import type { KMSClient } from '@aws-sdk/client-kms';
import { tagsOf, workflowIdTag } from '../providers/aws/activities/replacementKey';

/** The marker a run's creates carry in their tags and labels: the workflow id and run id. */
const ownerOf = (run: RunRef) => `${run.workflowId}/${run.runId}`;

function refuseUnlessOurs(what: string, named: string, mustCarry: string, run: RunRef): void {
  if (!named.includes(mustCarry))
    throw refusedChange(
      `${what} ${named} is not named for this run (its names carry ${mustCarry}, from run ${run.runId}): a change on another run's resources is never approved here`,
    );
}

/** OpenAI is pointed only at the key the run made: the one whose tags name this run. */
async function refuseUnlessTaggedForRun(kms: KMSClient, keyArn: string, run: RunRef): Promise<void> {
  // A refused or failed read is not "no tags": it surfaces (retried, or named as the worker's policy).
  const tags = (await tagsOf(kms, keyArn)) ?? [];
  const taggedFor = tags.find((t) => t.TagKey === workflowIdTag)?.TagValue;
  if (taggedFor !== ownerOf(run))
    throw refusedChange(
      `the key ${keyArn} is not this run's replacement key (tagged ${workflowIdTag}=${taggedFor ?? 'nothing'}, not ${ownerOf(run)}): OpenAI is given access only to the key the run made`,
    );
}

export const actionOf = {
  revokeAwsAccess: (i: { method: string; keyArn: string; roleArn: string }): PlanAction => ({
    do: 'revoke-access',
    cloud: 'aws',
    method: i.method,
    keyArn: i.keyArn,
    roleArn: i.roleArn,
  }),
  revokeGcpAccess: (i: { method: string; keyName: string; principal: string }): PlanAction => ({
    do: 'revoke-access',
    cloud: 'gcp',
    method: i.method,
    keyName: i.keyName,
    principal: i.principal,
  }),
  restoreAwsAccess: (i: { method: string; snapshot: { key: { arn: string } } }): PlanAction =>
    restoreAction('aws', i.method, i.snapshot),
  restoreGcpAccess: (i: { method: string; snapshot: { keyName: string } }): PlanAction =>
    restoreAction('gcp', i.method, i.snapshot),
  archiveProject: (i: { projectId: string; externalKeyId?: string }): PlanAction => ({
    do: 'archive-project',
    projectId: i.projectId,
    externalKeyId: i.externalKeyId ?? '',
  }),
  createReplacementKeyOnce: (i: { workflowId: string; replaces?: string }, run: RunRef): PlanAction => {
    if (i.workflowId !== ownerOf(run))
      throw refusedChange(
        `the replacement key would be tagged for run ${i.workflowId}, not for this run (${ownerOf(run)})`,
      );
    return {
      do: 'create-replacement-key',
      cloud: 'aws',
      replaces: i.replaces ?? '',
      owner: runTag(run.runId),
    };
  },
  createGcpReplacementKey: (
    i: { keyName: string; newKeyId: string; workflowId: string },
    run: RunRef,
  ): PlanAction => {
    if (i.workflowId !== ownerOf(run))
      throw refusedChange(
        `the replacement key would be labelled for run ${i.workflowId}, not for this run (${ownerOf(run)})`,
      );
    refuseUnlessOurs('the replacement key', i.newKeyId, runTag(run.runId), run);
    return { do: 'create-replacement-key', cloud: 'gcp', replaces: i.keyName, owner: runTag(run.runId) };
  },
  grantOpenAiAccess: (i: { roleName: string; externalId: string }, run: RunRef): PlanAction => {
    refuseUnlessOurs('the replacement role', i.roleName, `ekm-openai-${runTag(run.runId)}`, run);
    return { do: 'grant-openai-access', cloud: 'aws', owner: runTag(run.runId), to: i.externalId };
  },
  /** The role's access is to the key named in the call: it must be the one tagged as this run's. */
  grantOpenAiAccessOn:
    (kms: KMSClient) =>
    async (i: { keyArn: string; roleName: string; externalId: string }, run: RunRef): Promise<PlanAction> => {
      await refuseUnlessTaggedForRun(kms, i.keyArn, run);
      return actionOf.grantOpenAiAccess(i, run);
    },
  grantGcpOpenAiAccess: (i: { keyName: string; principal: string }, run: RunRef): PlanAction => {
    refuseUnlessOurs('the replacement key', i.keyName.split('/').pop() ?? '', runTag(run.runId), run);
    return { do: 'grant-openai-access', cloud: 'gcp', owner: runTag(run.runId), to: i.principal };
  },
  registerExternalKeyOnce: (i: RegisterAwsKeyRequest | RegisterGcpKeyRequest, run: RunRef): PlanAction => {
    refuseUnlessOurs('the external key', i.name, `ekm-${runTag(run.runId)}`, run);
    return {
      do: 'register-external-key',
      cloud: 'type' in i && i.type === 'gcp' ? 'gcp' : 'aws',
      owner: runTag(run.runId),
    };
  },
  /**
   * What the registration points OpenAI at must be the run's own new key: on AWS the key tagged as this
   * run's replacement (as the grant checks), on Google Cloud the key whose id carries the run's tag.
   */
  registerExternalKeyOnceOn:
    (kmsOf: (keyArn: string) => KMSClient) =>
    async (i: RegisterAwsKeyRequest | RegisterGcpKeyRequest, run: RunRef): Promise<PlanAction> => {
      if ('type' in i && i.type === 'gcp')
        refuseUnlessOurs('the registered key', i.gcp.keyName.split('/').pop() ?? '', runTag(run.runId), run);
      else {
        const { kmsArn } = i as RegisterAwsKeyRequest;
        await refuseUnlessTaggedForRun(kmsOf(kmsArn), kmsArn, run);
      }
      return actionOf.registerExternalKeyOnce(i, run);
    },
  createProjectOnce: (i: { name: string; replaces?: string }, run: RunRef): PlanAction => {
    const replaces = i.replaces ?? '';
    refuseUnlessOurs('the project', i.name, `-${runTag(run.runId)}-${replaces.slice(-6)}`, run);
    return { do: 'create-project', replaces, owner: runTag(run.runId) };
  },
  scheduleAwsKeyDeletion: (i: { keyArn: string; days: number }): PlanAction => ({
    do: 'schedule-key-deletion',
    cloud: 'aws',
    keyArn: i.keyArn,
    days: i.days,
  }),
  scheduleGcpKeyDestruction: (i: { keyName: string }): PlanAction => ({
    do: 'schedule-key-deletion',
    cloud: 'gcp',
    keyName: i.keyName,
  }),
  rotateAwsKey: (i: { keyArn: string; rotation: { kind: string; periodDays?: number } }): PlanAction => ({
    do: 'rotate-key',
    cloud: 'aws',
    keyArn: i.keyArn,
    rotation:
      i.rotation.kind === 'now' ? { kind: 'now' } : { kind: 'automatic', periodDays: i.rotation.periodDays! },
  }),
  rotateGcpKey: (i: {
    keyName: string;
    rotation: { kind: 'now' } | { kind: 'automatic'; periodSeconds: number; nextRotationTime?: string };
  }): PlanAction => ({
    do: 'rotate-key',
    cloud: 'gcp',
    keyName: i.keyName,
    // A first rotation time the plan never named makes the action one the plan does not hold.
    rotation: i.rotation.kind === 'now' ? { kind: 'now' } : ({ ...i.rotation } as RotationAction),
  }),
};
