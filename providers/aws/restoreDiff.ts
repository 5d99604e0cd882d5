// What restoring an AWS revocation puts back, document by document (common/restoreDiff.ts): the role's
// trust or inline policies, the key policy, the grants, or the key's state — whichever the method took,
// computed by the same diff the restore activity applies (restoreEdits.ts).
import { canonicalJson } from '../../common/canonicalJson';
import { documentDiff, restoreSides } from '../../common/restoreDiff';
import type { DocumentDiff } from '../../common/runStatus';
import { parsePolicy } from './activities/policyEdits';
import type { AwsAccessSnapshot, AwsGrantSnapshot } from './request';
import {
  removeRunsKeyPolicyDeny,
  restoreKeyUse,
  restoreRunsVendorTrust,
  stillRefusedWords,
  type RestoreEdit,
} from './restoreEdits';

/** A grant in one line; the id is left out (a re-created grant gets a new one). */
function grantLine(g: AwsGrantSnapshot): string {
  return `grant${g.name ? ` "${g.name}"` : ''} to ${g.granteePrincipal}: ${[...g.operations].sort().join(', ')}${g.constraints ? ` if ${canonicalJson(g.constraints)}` : ''}`;
}

/** The document as the restore leaves it (restoreEdits.ts, the diff the restore activity applies). */
function after(edit: RestoreEdit, now: string): string {
  return edit.changed && edit.document ? JSON.stringify(edit.document) : now;
}

/** What restoreAwsAccess puts back for `method`, now and after. */
export function awsRestoreDiff(method: string, now: AwsAccessSnapshot, s: AwsAccessSnapshot): DocumentDiff[] {
  switch (method) {
    case 'remove-trust': {
      const edit = restoreRunsVendorTrust(parsePolicy(now.role.trustPolicy), s, []);
      const still = edit.stillDeniedBy.length
        ? ` — ${stillRefusedWords(s.role.arn, edit.stillDeniedBy)}`
        : '';
      return [
        documentDiff(
          `trust policy of ${s.role.arn}${still}`,
          now.role.trustPolicy,
          after(edit, now.role.trustPolicy),
        ),
      ];
    }
    case 'remove-key-permission':
      return s.role.inlinePolicies.map((p) => {
        const current = now.role.inlinePolicies.find((c) => c.name === p.name)?.document;
        const edit = restoreKeyUse(current ? parsePolicy(current) : null, parsePolicy(p.document), s.key.arn);
        return documentDiff(`inline policy ${p.name} of ${s.role.arn}`, current, after(edit, current ?? ''));
      });
    case 'key-policy-deny': {
      const edit = removeRunsKeyPolicyDeny(
        parsePolicy(now.key.policy),
        parsePolicy(s.key.policy),
        s.role.arn,
      );
      return [documentDiff(`key policy of ${s.key.arn}`, now.key.policy, after(edit, now.key.policy))];
    }
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
