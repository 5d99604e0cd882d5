// Steps "validate", "cache-wait" and "probes": OpenAI's Admin API must answer revoked (several times in a
// row); then the run waits out OpenAI's key cache (one hour against the real API; the worker decides);
// then previous data must be denied while a control call still answers — or, for ChatGPT Enterprise,
// which has no API, a person attests it.
import { sleep } from '@temporalio/workflow';
import { Ended } from '../../ended';
import { confirmByValidate, confirmDataInaccessible } from '../confirm';
import type { Revocation } from '../revocation';
import { now } from '../runRecord';

export async function validate(run: Revocation): Promise<void> {
  const { request, record, gates, settings } = run;
  if (!request.externalKeyId) {
    record.update('validate', 'skipped', 'no external key: ChatGPT Enterprise has no API');
    return;
  }
  record.start('validate');
  const confirmed = await confirmByValidate(request.externalKeyId, settings, record, gates);
  if (!confirmed.confirmed) {
    record.update('validate', 'failed', 'not confirmed; a person stopped the run');
    throw new Ended('revoked-unverified', 'OpenAI never confirmed the revocation; stopped by a person');
  }
  record.done('validate', `${settings.validateConfirmations} revoked answers in a row`, confirmed.answers);
}

export async function cacheWait(run: Revocation): Promise<void> {
  const { record, settings } = run;
  record.start('cache-wait', `${settings.cacheWaitSeconds} s`);
  record.status.cacheWait = { startedAt: now(), seconds: settings.cacheWaitSeconds };
  await sleep(settings.cacheWaitSeconds * 1000, {
    summary: `wait ${settings.cacheWaitSeconds} s for OpenAI's key cache`,
  });
  record.status.cacheWait.endedAt = now();
  record.done('cache-wait', `waited ${settings.cacheWaitSeconds} s (${settings.mode})`);
}

export async function probes(run: Revocation): Promise<void> {
  const { request, record, gates, settings, state } = run;
  record.start('probes');
  if (request.product === 'api') {
    const proof = await confirmDataInaccessible(request, settings, record, gates);
    if (!proof.confirmed) {
      record.update('probes', 'failed', 'data not proven inaccessible; a person stopped the run');
      throw new Ended('revoked-unverified', 'previous data stayed readable; stopped by a person');
    }
    record.done('probes', 'every probe denied while the control call answered', proof.rounds);
  } else {
    record.update('probes', 'waiting', 'a person checks the workspace');
    const task = await gates.task('chatgpt-verify');
    if (task.answer?.outcome !== 'inaccessible') {
      record.update(
        'probes',
        'failed',
        task.answer ? `attested ${task.answer.outcome}` : 'no attestation in time',
      );
      throw new Ended('revoked-unverified', 'the workspace was not attested inaccessible');
    }
    record.done('probes', `attested inaccessible by ${task.answer.by}`);
  }
  state.verified = true;
}
