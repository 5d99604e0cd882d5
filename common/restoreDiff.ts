// What a restore will apply, as approvers see it at the restore gate: for each document the revocation's
// method took away, what it is now and what the snapshot puts back. Built from the state read in preflight
// and the verified snapshot, in the same terms the restore activities apply (restoreAwsAccess,
// restoreGcpAccess): only what the method removed, and nothing added since is taken away.
import { canonicalJson } from './canonicalJson';
import { documentLines, lineDiff } from './lineDiff';
import type { RevocationBaseline, RevokeKeyRequest } from '../providers/requests';
import type { AwsAccessSnapshot, AwsGrantSnapshot, AwsRevocationBaseline } from '../providers/aws/request';
import type { GcpAccessSnapshot, GcpRevocationBaseline } from '../providers/gcp/request';
import type { DocumentDiff } from './runStatus';

const after = 'the restore';

function documentDiff(document: string, now: string | undefined, back: string): DocumentDiff {
  return {
    document: `${document} (- now, + after ${after})`,
    lines: lineDiff(documentLines(now), documentLines(back)),
  };
}

/** A grant in one line; the id is left out (a re-created grant gets a new one). */
function grantLine(g: AwsGrantSnapshot): string {
  return `grant${g.name ? ` "${g.name}"` : ''} to ${g.granteePrincipal}: ${[...g.operations].sort().join(', ')}${g.constraints ? ` if ${canonicalJson(g.constraints)}` : ''}`;
}

function awsDiff(method: string, now: AwsAccessSnapshot, s: AwsAccessSnapshot): DocumentDiff[] {
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
          document: `grants on ${s.key.arn} to ${s.role.arn} (- now, + after ${after})`,
          lines: [...present.map((g) => `  ${g}`), ...missing.map((g) => `+ ${g}`)],
        },
      ];
    }
    case 'disable-key':
      return [
        {
          document: `key state of ${s.key.arn} (- now, + after ${after})`,
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

function bindingLine(b: GcpAccessSnapshot['bindings'][number]): string {
  return `${b.member} in ${b.role}${b.condition ? ` (if ${b.condition.expression})` : ''}`;
}

function gcpDiff(method: string, now: GcpAccessSnapshot, s: GcpAccessSnapshot): DocumentDiff[] {
  if (method === 'remove-binding') {
    // Only the key's bindings come back (restoreGcpAccess leaves the ring's alone).
    const present = now.bindings.filter((b) => b.resource === s.keyName).map(bindingLine);
    const back = s.bindings.filter((b) => b.resource === s.keyName).map(bindingLine);
    return [
      {
        document: `IAM bindings of ${s.keyName} (- now, + after ${after})`,
        lines: [
          ...present.map((b) => `  ${b}`),
          ...back.filter((b) => !present.includes(b)).map((b) => `+ ${b}`),
        ],
      },
    ];
  }
  if (method === 'disable-versions') {
    const nowState = new Map(now.versions.map((v) => [v.name, v.state]));
    const lines = now.versions.flatMap((v) =>
      s.enabledVersions.includes(v.name) && v.state !== 'ENABLED'
        ? [`- ${v.name} ${v.state}`, `+ ${v.name} ENABLED`]
        : [`  ${v.name} ${v.state}`],
    );
    for (const name of s.enabledVersions) if (!nowState.has(name)) lines.push(`+ ${name} ENABLED`);
    const rotation = (r: GcpAccessSnapshot['rotation']) =>
      r ? `automatic rotation every ${r.periodSeconds} s` : 'automatic rotation off';
    if (s.rotation && now.rotation?.periodSeconds !== s.rotation.periodSeconds)
      lines.push(`- ${rotation(now.rotation)}`, `+ ${rotation(s.rotation)}`);
    else lines.push(`  ${rotation(now.rotation)}`);
    return [{ document: `versions and rotation of ${s.keyName} (- now, + after ${after})`, lines }];
  }
  return [];
}

/** The documents the restore changes, now and after; empty when it changes nothing. */
export function restoreDiff(
  request: RevokeKeyRequest,
  snapshot: AwsAccessSnapshot | GcpAccessSnapshot,
  current: RevocationBaseline,
): DocumentDiff[] {
  if (request.provider === 'gcp')
    return gcpDiff(request.method, (current as GcpRevocationBaseline).access, snapshot as GcpAccessSnapshot);
  return awsDiff(request.method, (current as AwsRevocationBaseline).access, snapshot as AwsAccessSnapshot);
}
