// The runbook's way back: puts back exactly what the method took away, as a diff against the snapshot
// (providers/aws/restoreEdits.ts): OpenAI's trust statements, the key's use in the inline policies, this
// run's key-policy Deny out, the grants revoked, the key's Enabled state. Never a whole document written
// back: another run through the same role may have changed it since. Comparing with the current state
// first, so a retry changes nothing twice. Works alike on snapshots from before (their shape is the same).
import {
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateGrantCommand,
  EnableKeyCommand,
  PutKeyPolicyCommand,
  type GrantConstraints,
  type GrantOperation,
} from '@aws-sdk/client-kms';
import { ApplicationFailure } from '@temporalio/common';
import { canonicalJson } from '../../../common/canonicalJson';
import { EkmError } from '../../../common/errors';
import type {
  AwsAccessSnapshot,
  AwsGrantSnapshot,
  AwsRevocationMethod,
  AwsRevocationChange,
} from '../request';
import type { AwsClients } from './clients';
import { toAwsFailure } from './errors';
import { decodePolicyText, parsePolicy, samePolicy, type PolicyDocument } from './policyEdits';
import {
  removeRunsKeyPolicyDeny,
  restoreKeyUse,
  restoreRunsVendorTrust,
  stillRefusedWords,
  type RestoreEdit,
} from '../restoreEdits';
import { readGrants, readKey, readKeyPolicy, readTrustPolicy, toGrantSnapshot } from './snapshotAccess';

export interface RestoreAwsAccessRequest {
  method: AwsRevocationMethod;
  snapshot: AwsAccessSnapshot;
}

/** A grant is the same one when everything but its id matches (KMS gives a re-created grant a new id). */
function sameGrant(a: AwsGrantSnapshot, b: AwsGrantSnapshot): boolean {
  const shape = ({ grantId: _id, operations, ...rest }: AwsGrantSnapshot) =>
    canonicalJson({ ...rest, operations: [...operations].sort() });
  return shape(a) === shape(b);
}

export interface RestoreAwsAccessOptions {
  /** OpenAI's principal(s) (the worker's configuration): whom remove-trust took out, if its Deny is gone. */
  vendorPrincipals: string[];
}

export function restoreAwsAccessActivity(
  clients: AwsClients,
  options: RestoreAwsAccessOptions = { vendorPrincipals: [] },
) {
  const { kms, iam } = clients;

  /** What the restore put back and took out. */
  function told(edit: RestoreEdit): string {
    return edit.changes.join('; ');
  }

  /** The document to write: the snapshot's own text when the diff gives exactly it back. */
  function text(document: PolicyDocument, snapshotText: string): string {
    return samePolicy(document, snapshotText) ? snapshotText : JSON.stringify(document);
  }

  async function restoreTrust(
    method: AwsRevocationMethod,
    s: AwsAccessSnapshot,
  ): Promise<AwsRevocationChange> {
    const current = parsePolicy(await readTrustPolicy(iam, s.role.name));
    // Only this run's Deny comes out (whom to put back: the principals it names, else today's); another
    // run's Deny stays, and with it OpenAI's refusal.
    const edit = restoreRunsVendorTrust(current, s, options.vendorPrincipals);
    const still = edit.stillDeniedBy.length ? `; ${stillRefusedWords(s.role.arn, edit.stillDeniedBy)}` : '';
    if (!edit.changed || !edit.document)
      return {
        method,
        changed: false,
        description: `the trust policy of ${s.role.arn} holds nothing the revocation changed: nothing changed${still}`,
      };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: s.role.name,
        PolicyDocument: text(edit.document, s.role.trustPolicy),
      }),
    );
    return {
      method,
      changed: true,
      description: `IAM UpdateAssumeRolePolicy on ${s.role.arn}: ${told(edit)} (from the snapshot taken ${s.takenAt}); every other trust statement is as it is now${still}`,
    };
  }

  async function restoreInlinePolicies(
    method: AwsRevocationMethod,
    s: AwsAccessSnapshot,
  ): Promise<AwsRevocationChange> {
    const put: string[] = [];
    for (const policy of s.role.inlinePolicies) {
      let current: string | undefined;
      try {
        const { PolicyDocument } = await iam.send(
          new GetRolePolicyCommand({ RoleName: s.role.name, PolicyName: policy.name }),
        );
        current = PolicyDocument === undefined ? undefined : decodePolicyText(PolicyDocument);
      } catch (err) {
        // IAM: a policy remove-key-permission deleted (left with no statement) is simply absent.
        if ((err as { name?: string }).name !== 'NoSuchEntityException') throw err;
      }
      const edit = restoreKeyUse(
        current === undefined ? null : parsePolicy(current),
        parsePolicy(policy.document),
        s.key.arn,
      );
      if (!edit.changed || !edit.document) continue;
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: s.role.name,
          PolicyName: policy.name,
          PolicyDocument: text(edit.document, policy.document),
        }),
      );
      put.push(
        `${current === undefined ? 're-created' : ''} inline policy ${policy.name}: ${told(edit)}`.trim(),
      );
    }
    if (!put.length)
      return {
        method,
        changed: false,
        description: `no inline policy of ${s.role.arn} lacks what the revocation removed on ${s.key.arn}: nothing changed`,
      };
    return {
      method,
      changed: true,
      description: `IAM PutRolePolicy on ${s.role.arn}: ${put.join('; ')} (from the snapshot taken ${s.takenAt}); statements added or changed since were left alone`,
    };
  }

  async function restoreKeyPolicy(
    method: AwsRevocationMethod,
    s: AwsAccessSnapshot,
  ): Promise<AwsRevocationChange> {
    const current = parsePolicy(await readKeyPolicy(kms, s.key.keyId));
    const edit = removeRunsKeyPolicyDeny(current, parsePolicy(s.key.policy), s.role.arn);
    if (!edit.changed || !edit.document)
      return {
        method,
        changed: false,
        description: `the key policy of ${s.key.arn} denies ${s.role.arn} nothing the revocation added: nothing changed`,
      };
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: s.key.keyId,
        PolicyName: 'default',
        Policy: text(edit.document, s.key.policy),
      }),
    );
    return {
      method,
      changed: true,
      description: `KMS PutKeyPolicy on ${s.key.arn}: ${told(edit)}; every other statement is as it is now`,
    };
  }

  async function restoreGrants(
    method: AwsRevocationMethod,
    s: AwsAccessSnapshot,
  ): Promise<AwsRevocationChange> {
    const present = (await readGrants(kms, s.key.keyId)).map(toGrantSnapshot);
    const created: string[] = [];
    for (const grant of s.grants) {
      if (present.some((g) => sameGrant(g, grant))) continue;
      const { GrantId } = await kms.send(
        new CreateGrantCommand({
          KeyId: s.key.keyId,
          GranteePrincipal: grant.granteePrincipal,
          Operations: grant.operations as GrantOperation[],
          Name: grant.name,
          RetiringPrincipal: grant.retiringPrincipal,
          Constraints: grant.constraints as GrantConstraints | undefined,
        }),
      );
      created.push(
        `re-created grant${grant.name ? ` "${grant.name}"` : ''} to ${grant.granteePrincipal} (${grant.operations.join(', ')}) as grant ${GrantId} (was ${grant.grantId})`,
      );
    }
    if (!created.length)
      return {
        method,
        changed: false,
        description: `every grant of the snapshot is on ${s.key.arn} already (same grantee, operations, name and constraints): nothing changed`,
      };
    return {
      method,
      changed: true,
      description: `KMS CreateGrant on ${s.key.arn}: ${created.join('; ')}; the grant ids and tokens are new, so anything holding the old ones must use these`,
    };
  }

  async function restoreKeyState(
    method: AwsRevocationMethod,
    s: AwsAccessSnapshot,
  ): Promise<AwsRevocationChange> {
    const key = await readKey(kms, s.key.arn);
    if (s.key.state !== 'Enabled')
      return {
        method,
        changed: false,
        description: `${s.key.arn} was ${s.key.state} in the snapshot, not Enabled: nothing to put back`,
      };
    if (key.state === 'Enabled')
      return { method, changed: false, description: `${s.key.arn} is already Enabled: nothing changed` };
    // KMS: EnableKey is refused on a key pending deletion; its deletion must be cancelled first, by a person.
    if (key.state !== 'Disabled')
      throw ApplicationFailure.create({
        type: EkmError.MethodNotApplicable,
        message: `cannot enable ${s.key.arn}: it is ${key.state}${key.state === 'PendingDeletion' ? ' (cancel its deletion first)' : ''}`,
        nonRetryable: true,
      });
    await kms.send(new EnableKeyCommand({ KeyId: key.keyId }));
    return {
      method,
      changed: true,
      description: `KMS EnableKey on ${s.key.arn}: Disabled → Enabled, as in the snapshot`,
    };
  }

  const restorers: Record<
    AwsRevocationMethod,
    (method: AwsRevocationMethod, s: AwsAccessSnapshot) => Promise<AwsRevocationChange>
  > = {
    'remove-trust': restoreTrust,
    'remove-key-permission': restoreInlinePolicies,
    'key-policy-deny': restoreKeyPolicy,
    'revoke-grant': restoreGrants,
    'disable-key': restoreKeyState,
  };

  return async function restoreAwsAccess({
    method,
    snapshot,
  }: RestoreAwsAccessRequest): Promise<AwsRevocationChange> {
    const restore = restorers[method];
    if (!restore)
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        message: `method: ${String(method)} is not an AWS revocation method`,
        nonRetryable: true,
      });
    try {
      return await restore(method, snapshot);
    } catch (err) {
      throw toAwsFailure(err, `restore after ${method} on ${snapshot.key.arn} for ${snapshot.role.arn}`);
    }
  };
}
