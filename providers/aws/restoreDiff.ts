// What restoring an AWS revocation puts back, document by document (common/restoreDiff.ts): the role's
// trust or inline policies, the key policy, the grants, or the key's state — whichever the method took.
import { canonicalJson } from '../../common/canonicalJson';
import { documentDiff, restoreSides } from '../../common/restoreDiff';
import type { DocumentDiff } from '../../common/runStatus';
import type { AwsAccessSnapshot, AwsGrantSnapshot } from './request';

/** A grant in one line; the id is left out (a re-created grant gets a new one). */
function grantLine(g: AwsGrantSnapshot): string {
  return `grant${g.name ? ` "${g.name}"` : ''} to ${g.granteePrincipal}: ${[...g.operations].sort().join(', ')}${g.constraints ? ` if ${canonicalJson(g.constraints)}` : ''}`;
}

/** What restoreAwsAccess puts back for `method`, now and after. */
export function awsRestoreDiff(method: string, now: AwsAccessSnapshot, s: AwsAccessSnapshot): DocumentDiff[] {
  switch (method) {
    case 'remove-trust':
      return [documentDiff(`trust policy of ${s.role.arn}`, now.role.trustPolicy, s.role.trustPolicy)];
    case 'remove-key-permission':
      return s.role.inlinePolicies.map((p) =>
        documentDiff(
          `inline policy ${p.name} of ${s.role.arn}`,
          now.role.inlinePolicies.find((c) => c.name === p.name)?.document,
          p.document,
        ),
      );
    case 'key-policy-deny':
      return [documentDiff(`key policy of ${s.key.arn}`, now.key.policy, s.key.policy)];
    case 'revoke-grant': {
      const present = now.grants.map(grantLine);
      const missing = s.grants.map(grantLine).filter((g) => !present.includes(g));
      return [
        {
          document: `grants on ${s.key.arn} to ${s.role.arn} ${restoreSides}`,
          lines: [...present.map((g) => `  ${g}`), ...missing.map((g) => `+ ${g}`)],
        },
      ];
    }
    case 'disable-key':
      return [
        {
          document: `key state of ${s.key.arn} ${restoreSides}`,
          lines:
            s.key.state !== 'Enabled' || now.key.state === 'Enabled'
              ? [`  ${now.key.state}`]
              : [`- ${now.key.state}`, '+ Enabled'],
        },
      ];
    default:
      return [];
  }
}
