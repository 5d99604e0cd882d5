// The fleet file `npm start` writes (.data/fleet-example.yaml): every key it seeded for a fleet, as an
// incident's responder would list them (docs/fleet.md), so `ekm fleet plan|start` can be rehearsed at once.
// The keys are the `--keys` ones when there are some (their own roles and accounts, nobody else's
// rehearsal), else the demo keys of both clouds.
import { stringify } from 'yaml';
import type { DemoProject } from './openai/demo';

/** A key the way the sandbox seeded it: enough to name its revocation. */
export type FleetExampleKey = (
  | { provider: 'aws'; keyArn: string; roleArn: string }
  | { provider: 'gcp'; keyName: string; principal: string }
) & { externalKeyId: string; projects: Pick<DemoProject, 'id' | 'probes'>[] };

/** The file's text: one entry per key, each the request its own `ekm revoke start` would send. */
export function fleetExampleFor(keys: FleetExampleKey[], requester: string): string {
  const entries = keys.map((key) => ({
    ...(key.provider === 'aws'
      ? { provider: 'aws', keyArn: key.keyArn, roleArn: key.roleArn, method: 'key-policy-deny' }
      : { provider: 'gcp', keyName: key.keyName, principal: key.principal, method: 'remove-binding' }),
    externalKeyId: key.externalKeyId,
    projectIds: key.projects.map((p) => p.id),
    // The same three probes per project as the single rehearsal's commands.
    probes: key.projects.flatMap((p) => [
      { projectId: p.id, kind: 'file', id: p.probes.fileId },
      { projectId: p.id, kind: 'response', id: p.probes.responseId },
      { projectId: p.id, kind: 'model', id: p.probes.fineTunedModel },
    ]),
  }));
  return [
    '# A fleet to rehearse (docs/fleet.md): ekm fleet plan --file <this file>, then ekm fleet start.',
    '# Written by npm start with the ids it seeded; they change at the next start.',
    stringify({
      requester,
      reason: 'rehearsal of a leak touching many keys',
      changeTicket: 'CHG-FLEET-1',
      concurrency: Math.min(8, Math.max(1, entries.length)),
      keys: entries,
    }),
  ].join('\n');
}
