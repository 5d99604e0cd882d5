// What restoring a Google Cloud revocation puts back (common/restoreDiff.ts): OpenAI's bindings on the key,
// or its versions and automatic rotation — whichever the method took.
import { restoreSides } from '../../common/restoreDiff';
import type { DocumentDiff } from '../../common/runStatus';
import type { GcpAccessSnapshot } from './request';

function bindingLine(b: GcpAccessSnapshot['bindings'][number]): string {
  return `${b.member} in ${b.role}${b.condition ? ` (if ${b.condition.expression})` : ''}`;
}

/** What restoreGcpAccess puts back for `method`, now and after. */
export function gcpRestoreDiff(method: string, now: GcpAccessSnapshot, s: GcpAccessSnapshot): DocumentDiff[] {
  if (method === 'remove-binding') {
    // Only the key's bindings come back (restoreGcpAccess leaves the ring's alone).
    const present = now.bindings.filter((b) => b.resource === s.keyName).map(bindingLine);
    const back = s.bindings.filter((b) => b.resource === s.keyName).map(bindingLine);
    return [
      {
        document: `IAM bindings of ${s.keyName} ${restoreSides}`,
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
    return [{ document: `versions and rotation of ${s.keyName} ${restoreSides}`, lines }];
  }
  return [];
}
