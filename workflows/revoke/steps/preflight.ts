// Step "preflight": the worker's settings, who asked, the lock on what the run edits beside the key, then
// the key, its access, OpenAI's registration, projects, validate and probes — the baseline nothing may
// drift from — and when OpenAI last used the key. Reads only.
import { patched } from '@temporalio/workflow';
import type { RunSettingsView } from '../../../common/runStatus';
import { stoppedAtCapNote } from '../../../common/usage';
import type { RevocationBaseline } from '../../../providers/requests';
import { specOf } from '../../../providers';
import { revocationActions } from '../../../providers/runbookActions';
import { Ended } from '../../ended';
import { lockRole } from '../../locks';
import { takeRoleTurn } from '../../roleTurn';
import { waitingWords } from '../../../common/roleTurns';
import { whyStartRefused } from '../../startSignature';
import { call, routeChanges } from '../call';
import { patchedBeforeCheaper } from '../cheaperRuns';
import { readBaseline, refuseUnlessConsistent } from '../preflight';
import type { RevocationStart } from '../revocation';
import { usageBeforeRevocation } from '../usage';

export async function preflight(
  run: RevocationStart,
): Promise<{ settings: RunSettingsView; baseline: RevocationBaseline; readsTrail: boolean }> {
  const { rawInput, request, record, gates, state, cloud } = run;
  record.start('preflight');
  const settings = await call('read', 'loadRunSettings', 'read the worker’s settings for this run');
  routeChanges(settings.mutatingTaskQueue);
  record.status.settings = settings;
  gates.use(settings);
  // Who asked: a plan changes nothing, so anyone may ask for one; a run that may change needs the
  // requester's signature over exactly this request (unsigned only on a sandbox worker).
  // A fleet's child stands on the fleet's signed start and its revoke approval listing this run.
  const startRefused = request.planOnly
    ? undefined
    : gates.inFleet()
      ? gates.whyFleetStartRefused(revocationActions(request)[0]!)
      : whyStartRefused(rawInput, settings);
  if (startRefused) throw new Ended('refused', `start refused: ${startRefused}; nothing was changed`);
  // What the revocation edits beside the key and other keys share (AWS: the role) is locked, so two runs
  // through it must not overlap; the key itself is locked by the run's workflow id.
  // Runs from before turns locked the role for every method and held it to their end; now only a method
  // that changes the role takes a turn on it, waiting in line, and gives it back once its change is
  // validated (revokeKey.ts), which restores that remove only their own change make safe.
  if (patched('role-turns-for-role-changes')) {
    const changed = cloud.sharedChange(request);
    if (!request.planOnly && changed) {
      state.release = await takeRoleTurn(changed, (place) =>
        record.update('preflight', 'waiting', waitingWords(changed, place)),
      );
      state.releaseAfterValidate = true;
      record.update('preflight', 'running', `this run's turn on ${changed}`);
    }
  } else {
    const shared = cloud.sharedResource(request);
    if (!request.planOnly && shared) state.release = await lockRole(shared);
  }
  const baseline = await readBaseline(request, true);
  refuseUnlessConsistent(request, baseline);
  // When OpenAI last used the key: for the approvers and the auditor, never part of the plan's hash (it
  // moves with every use). Runs from before the trail was read have none.
  const readsTrail = patchedBeforeCheaper('usage-around-revocation');
  if (readsTrail) record.status.usage = { before: await usageBeforeRevocation(request, settings) };
  const lastUse = record.status.usage?.before;
  record.done(
    'preflight',
    `key ${baseline.key.state}, OpenAI access ${baseline.validate?.outcome ?? 'n/a'}, ${baseline.probes.flatMap((r) => r.probes).length} probe(s) readable${lastUse ? `; ${lastUse.report ? `last use by OpenAI's ${specOf(request).principalKind} ${lastUse.report.lastSuccessfulUse ?? 'none in the look-back window'}${stoppedAtCapNote(lastUse.report)}` : `trail unreadable (${lastUse.error})`}` : ''}`,
    baseline,
  );
  return { settings, baseline, readsTrail };
}
