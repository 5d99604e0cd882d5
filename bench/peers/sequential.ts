// Peer (1): the runbook script (runbook.ts) over the keys one after another — what a responder runs
// without ekm when they script the runbook and loop over the incident's keys.
import type { DemoOrganisation } from '../../sandbox/openai/demo';
import { peerClients, revokeByScript, type PeerOutcome, type PeerSettings } from './runbook';

export async function revokeSequentially(
  settings: PeerSettings,
  keys: DemoOrganisation[],
): Promise<PeerOutcome[]> {
  const clients = peerClients(settings);
  try {
    const outcomes: PeerOutcome[] = [];
    for (const [i, key] of keys.entries())
      outcomes.push(await revokeByScript(clients, settings, key, `seq-${i}`));
    return outcomes;
  } finally {
    clients.close();
  }
}
