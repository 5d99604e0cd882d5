// Peer (2): the runbook script (runbook.ts) over every key at once with Promise.all — the obvious way to
// go faster, with nothing between it and the clouds' quotas but the SDKs' default retries.
import type { DemoOrganisation } from '../../sandbox/openai/demo';
import { peerClients, revokeByScript, type PeerOutcome, type PeerSettings } from './runbook';

export async function revokeAllAtOnce(
  settings: PeerSettings,
  keys: DemoOrganisation[],
): Promise<PeerOutcome[]> {
  const clients = peerClients(settings);
  try {
    return await Promise.all(keys.map((key, i) => revokeByScript(clients, settings, key, `naive-${i}`)));
  } finally {
    clients.close();
  }
}
