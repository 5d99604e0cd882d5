// Step "trail": after the cache wait, the cloud's audit trail must show no successful use by OpenAI's role
// or principal since the revocation took effect. It corroborates validate and the probes: unreadable, the
// run says so and goes on; a late successful use stops the run before anything irreversible.
import { stoppedAtCapNote } from '../../../common/usage';
import { principalOf } from '../../../providers/runSubject';
import { specOf } from '../../../providers';
import { Ended } from '../../ended';
import type { Revocation } from '../revocation';
import { now } from '../runRecord';
import { usageAfterRevocation } from '../usage';

/** The audit trail must show no successful use by OpenAI's role after the revocation took effect. */
export async function trail(run: Revocation, revokedAt: string): Promise<void> {
  const { request, settings, record } = run;
  record.start('trail');
  const waitEndedAt = record.status.cacheWait?.endedAt ?? now();
  const check = await usageAfterRevocation(request, settings, revokedAt, waitEndedAt);
  record.status.usage = { ...record.status.usage, after: check };
  if (!check.report) {
    record.update(
      'trail',
      'skipped',
      `${specOf(request).trailName} could not be read (${check.error}): validate and the probes stand alone`,
      check,
    );
    return;
  }
  const refused = `${check.report.refused} refused attempt(s)`;
  if (check.lateUses.length) {
    const last = check.lateUses[0]!;
    record.update(
      'trail',
      'failed',
      `${check.lateUses.length} successful use(s) after ${check.effectiveFrom}`,
      check,
    );
    throw new Ended(
      'revoked-unverified',
      `${specOf(request).trailName} lists successful ${last.eventName} by ${principalOf(request)} at ${last.eventTime} (event ${last.eventId}), after the revocation took effect at ${check.effectiveFrom}: OpenAI could still use the key; nothing archived`,
    );
  }
  const grace = check.graceUses ? `, ${check.graceUses} successful within the propagation grace` : '';
  // Newest first: a read stopped at its cap missed the window's oldest events (those nearest the
  // revocation), so its verdict covers only what it read: the step says so.
  const incomplete = stoppedAtCapNote(check.report);
  record.done(
    'trail',
    `no successful use after ${check.effectiveFrom}; ${refused}${grace}${incomplete}`,
    check,
  );
}
