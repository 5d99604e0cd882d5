// Before the archive (and re-planning it), access must still be revoked: something may have re-granted it.
import type { RevocationBaseline, RevokeKeyRequest } from '../../../providers/requests';
import { Ended } from '../../ended';
import { readBaseline } from '../preflight';

/** Before the archive, access must still be revoked: something may have re-granted it. */
export async function stillRevoked(
  request: RevokeKeyRequest,
  baseline: RevocationBaseline,
): Promise<RevocationBaseline> {
  const current = await readBaseline(request, false);
  if (current.validate && current.validate.outcome !== 'revoked')
    throw new Ended(
      current.validate.outcome === 'success' ? 'access-regranted' : 'revoked-verified',
      current.validate.outcome === 'success'
        ? `OpenAI can use the key again (validate ${current.validate.requestId ?? ''}): something re-granted access; nothing archived`
        : `validate answers unknown before the archive (${current.validate.why}); nothing archived`,
    );
  return { ...current, probes: baseline.probes };
}
