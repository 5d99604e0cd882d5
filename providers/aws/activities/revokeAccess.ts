// The runbook's revocation step on AWS: one method, applied to the key and the customer role as they are
// now. Every method reads the current state and computes its change from it, so a retry after a crash
// finds the change made and answers `changed: false` without writing anything.
import {
  DeleteRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { DisableKeyCommand, PutKeyPolicyCommand, RevokeGrantCommand } from '@aws-sdk/client-kms';
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { AwsAccessSnapshot, AwsRevocationMethod, AwsRevocationChange } from '../request';
import type { AwsClients } from './clients';
import { toAwsFailure } from './errors';
import {
  addKeyPolicyDeny,
  allowsKeyUse,
  parsePolicy,
  removeKeyUse,
  removeVendorTrust,
  runsTrustDenySid,
  trustDenySid,
} from './policyEdits';
import {
  readAttachedPolicies,
  readGrants,
  readInlinePolicies,
  readKey,
  readKeyPolicy,
  readManagedPolicyDocument,
  readTrustPolicy,
  roleNameOf,
} from './snapshotAccess';

export interface RevokeAwsAccessRequest {
  method: AwsRevocationMethod;
  keyArn: string;
  roleArn: string;
  /**
   * The snapshot taken before the first attempt. remove-key-permission and revoke-grant leave nothing behind,
   * so finding nothing to remove means "already revoked" only if the snapshot had something; without it,
   * only a retry of this activity reads it that way.
   */
  snapshot?: AwsAccessSnapshot;
}

export interface RevokeAwsAccessOptions {
  /** OpenAI's principal(s) that assume the customer role (the worker's configuration). */
  vendorPrincipals: string[];
}

function notApplicable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: EkmError.MethodNotApplicable, message, nonRetryable: true });
}

/** Temporal's attempt number, when running as an activity: an attempt after the first may follow our own change. */
function isRetryAttempt(): boolean {
  return (asyncLocalStorage.getStore()?.info.attempt ?? 1) > 1;
}

export function revokeAwsAccessActivity(clients: AwsClients, options: RevokeAwsAccessOptions) {
  const { kms, iam } = clients;
  const vendors = options.vendorPrincipals;

  /** Nothing left to remove: already revoked this way, or this method never had anything to revoke. */
  function nothingLeft(
    request: RevokeAwsAccessRequest,
    wasThere: (s: AwsAccessSnapshot) => boolean,
    what: string,
    instead: string,
  ): AwsRevocationChange {
    const revokedBefore = request.snapshot ? wasThere(request.snapshot) : isRetryAttempt();
    if (!revokedBefore)
      throw notApplicable(
        `${request.method} cannot revoke OpenAI's access to ${request.keyArn}: ${what}${request.snapshot ? ', and the snapshot taken before shows none either' : ''}; ${instead}`,
      );
    return {
      method: request.method,
      changed: false,
      description: `${what} (already revoked): nothing changed`,
    };
  }

  async function removeTrust({
    method,
    roleArn,
    snapshot,
  }: RevokeAwsAccessRequest): Promise<AwsRevocationChange> {
    const roleName = roleNameOf(roleArn);
    // The run's own Deny, named by its snapshot, which its restore is handed too; a caller from before
    // that passes none writes the shared bare one, as then.
    const sid = snapshot ? runsTrustDenySid(snapshot) : trustDenySid;
    const edit = removeVendorTrust(parsePolicy(await readTrustPolicy(iam, roleName)), vendors, sid);
    if (!edit.changed)
      return {
        method,
        changed: false,
        description: `the trust policy of ${roleArn} already lets none of ${vendors.join(', ')} assume it and denies them in this run's statement "${sid}": nothing changed`,
      };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: roleName,
        PolicyDocument: JSON.stringify(edit.document),
      }),
    );
    return {
      method,
      changed: true,
      description: `IAM UpdateAssumeRolePolicy on ${roleArn}: ${edit.changes.join('; ')}; every other trust statement is unchanged`,
    };
  }

  async function removeKeyPermission(request: RevokeAwsAccessRequest): Promise<AwsRevocationChange> {
    const { method, keyArn, roleArn } = request;
    const roleName = roleNameOf(roleArn);
    // A managed policy is shared with every role and user it is attached to: editing it is not this method.
    const managed: string[] = [];
    for (const policy of await readAttachedPolicies(iam, roleName)) {
      const hits = allowsKeyUse(parsePolicy(await readManagedPolicyDocument(iam, policy.arn)), keyArn);
      if (hits.length) managed.push(`${policy.name} (${policy.arn}: ${hits.join(', ')})`);
    }
    if (managed.length)
      throw notApplicable(
        `remove-key-permission cannot revoke ${roleArn}'s use of ${keyArn}: attached managed polic${managed.length === 1 ? 'y' : 'ies'} ${managed.join(', ')} allow${managed.length === 1 ? 's' : ''} it, and editing a managed policy changes every role and user it is attached to; use key-policy-deny instead`,
      );

    const edits = (await readInlinePolicies(iam, roleName)).map((p) => ({
      name: p.name,
      ...removeKeyUse(parsePolicy(p.document), keyArn),
    }));
    const blockers = edits.flatMap((e) => e.blockers.map((b) => `inline policy ${e.name} ${b}`));
    if (blockers.length)
      throw notApplicable(
        `remove-key-permission cannot remove kms:Encrypt/kms:Decrypt on ${keyArn} from ${roleArn} by dropping actions: ${blockers.join('; ')}; narrow those statements by hand, or use key-policy-deny instead`,
      );

    const changed = edits.filter((e) => e.changed);
    if (!changed.length)
      return nothingLeft(
        request,
        (s) => s.role.inlinePolicies.some((p) => allowsKeyUse(parsePolicy(p.document), s.key.arn).length > 0),
        `no policy of ${roleArn} allows kms:Encrypt or kms:Decrypt on ${keyArn}`,
        "OpenAI's access comes from elsewhere: use revoke-grant (a grant) or key-policy-deny (the key policy)",
      );
    const done: string[] = [];
    for (const e of changed) {
      if (e.document === null) {
        await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: e.name }));
        done.push(`deleted inline policy ${e.name}, left with no statement (${e.changes.join('; ')})`);
      } else {
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: e.name,
            PolicyDocument: JSON.stringify(e.document),
          }),
        );
        done.push(`inline policy ${e.name}: ${e.changes.join('; ')}`);
      }
    }
    return { method, changed: true, description: `IAM on ${roleArn}: ${done.join('; ')}` };
  }

  async function keyPolicyDeny({
    method,
    keyArn,
    roleArn,
  }: RevokeAwsAccessRequest): Promise<AwsRevocationChange> {
    const key = await readKey(kms, keyArn);
    const edit = addKeyPolicyDeny(parsePolicy(await readKeyPolicy(kms, key.keyId)), roleArn);
    if (!edit.changed)
      return { method, changed: false, description: `${edit.change} on ${keyArn}: nothing changed` };
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: key.keyId,
        PolicyName: 'default',
        Policy: JSON.stringify(edit.document),
      }),
    );
    return {
      method,
      changed: true,
      description: `KMS PutKeyPolicy on ${keyArn}: ${edit.change}; every other statement is unchanged`,
    };
  }

  async function revokeGrant(request: RevokeAwsAccessRequest): Promise<AwsRevocationChange> {
    const { method, keyArn, roleArn } = request;
    const key = await readKey(kms, keyArn);
    const grants = (await readGrants(kms, key.keyId)).filter((g) => g.GranteePrincipal === roleArn);
    if (!grants.length)
      return nothingLeft(
        request,
        (s) => s.grants.length > 0,
        `no grant on ${keyArn} has ${roleArn} as grantee`,
        "OpenAI's access comes from the role's policies or the key policy: use remove-key-permission or key-policy-deny",
      );
    const revoked: string[] = [];
    for (const g of grants) {
      try {
        await kms.send(new RevokeGrantCommand({ KeyId: key.keyId, GrantId: g.GrantId }));
      } catch (err) {
        // Revoked between our list and our call (an earlier attempt's request that landed late): same end state.
        if ((err as { name?: string }).name !== 'NotFoundException') throw err;
      }
      revoked.push(`grant ${g.GrantId}${g.Name ? ` "${g.Name}"` : ''} (${(g.Operations ?? []).join(', ')})`);
    }
    return {
      method,
      changed: true,
      description: `KMS RevokeGrant on ${keyArn}: ${revoked.join(', ')} to ${roleArn}; KMS says a revoked grant can take up to about five minutes to stop working everywhere`,
    };
  }

  async function disableKey({ method, keyArn }: RevokeAwsAccessRequest): Promise<AwsRevocationChange> {
    const key = await readKey(kms, keyArn);
    if (key.state === 'Disabled')
      return { method, changed: false, description: `${keyArn} is already Disabled: nothing changed` };
    if (key.state !== 'Enabled')
      throw notApplicable(`disable-key cannot disable ${keyArn}: it is ${key.state}, not Enabled`);
    await kms.send(new DisableKeyCommand({ KeyId: key.keyId }));
    return {
      method,
      changed: true,
      description: `KMS DisableKey on ${keyArn}: Enabled → Disabled; every user of the key, not only OpenAI, is refused until it is enabled again`,
    };
  }

  const methods: Record<
    AwsRevocationMethod,
    (request: RevokeAwsAccessRequest) => Promise<AwsRevocationChange>
  > = {
    'remove-trust': removeTrust,
    'remove-key-permission': removeKeyPermission,
    'key-policy-deny': keyPolicyDeny,
    'revoke-grant': revokeGrant,
    'disable-key': disableKey,
  };

  return async function revokeAwsAccess(request: RevokeAwsAccessRequest): Promise<AwsRevocationChange> {
    const apply = methods[request.method];
    if (!apply)
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        message: `method: ${String(request.method)} is not an AWS revocation method`,
        nonRetryable: true,
      });
    if (request.method === 'remove-trust' && vendors.length === 0)
      throw ApplicationFailure.create({
        type: EkmError.WorkerMisconfigured,
        message: "no OpenAI principal configured: the worker's aws.openAiPrincipals must name OpenAI's role",
        nonRetryable: true,
      });
    try {
      return await apply(request);
    } catch (err) {
      throw toAwsFailure(err, `${request.method} on ${request.keyArn} for ${request.roleArn}`);
    }
  };
}
