// Proving the revocation: validate until K answers in a row say *revoked* (an unknown answer — our own
// key refused, 429, 5xx, a mistyped id — never counts), then, after the cache wait, every probe denied
// while the control call works. Neither gives up silently: past its window a person decides.
import { isCancellation, sleep } from '@temporalio/workflow';
import type { RevokeKeyRequest } from '../../providers/requests';
import type { ProbeRound, ValidationView } from '../../common/openaiViews';
import type { RunSubject } from '../../providers/runSubject';
import type { RunSettingsView } from '../../common/runStatus';
import type { Gatekeeper } from '../approvals/gatekeeper';
import { call } from './call';
import { probeAll } from './preflight';
import type { RunRecord } from './runRecord';

/** Keeps the first answers and the latest ones: enough for the evidence, bounded for the history. */
function keepBounded<T>(list: T[], item: T, first = 3, last = 10): void {
  list.push(item);
  if (list.length > first + last) list.splice(first, 1);
}

export async function validateOnce(externalKeyId: string, summary: string): Promise<ValidationView> {
  try {
    const v = await call('answer', 'validateExternalKey', summary, externalKeyId);
    return {
      externalKeyId,
      outcome: v.outcome,
      why: v.why,
      httpStatus: v.httpStatus,
      requestId: v.requestId,
      answeredAt: v.answeredAt,
    };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Retries exhausted (429/5xx/network): an unknown answer, never a verdict.
    return {
      externalKeyId,
      outcome: 'unknown',
      why: `no answer after retries: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : String(err)}`,
      httpStatus: 0,
      requestId: null,
      answeredAt: new Date().toISOString(),
    };
  }
}

export async function confirmByValidate(
  externalKeyId: string,
  settings: RunSettingsView,
  record: RunRecord<RunSubject>,
  gates: Gatekeeper,
): Promise<{ confirmed: boolean; answers: ValidationView[] }> {
  const answers: ValidationView[] = [];
  const needed = settings.validateConfirmations;
  let streak = 0;
  let windowEnds = Date.now() + settings.validateWindowSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const answer = await validateOnce(externalKeyId, `validate ${externalKeyId} (confirmation ${attempt})`);
    keepBounded(answers, answer);
    streak = answer.outcome === 'revoked' ? streak + 1 : 0;
    record.update(
      'validate',
      'running',
      `${streak}/${needed} revoked in a row; last: ${answer.outcome}`,
      answers,
    );
    if (streak >= needed) return { confirmed: true, answers };
    if (Date.now() >= windowEnds) {
      record.update(
        'validate',
        'waiting',
        `not confirmed after ${settings.validateWindowSeconds} s: a person decides`,
      );
      const task = await gates.task('validate-escalation');
      if (task.answer?.outcome !== 'keep-checking') return { confirmed: false, answers };
      windowEnds = Date.now() + settings.validateWindowSeconds * 1000;
    }
    await sleep(settings.validateIntervalSeconds * 1000, { summary: 'wait before the next validate' });
  }
}

export function allDenied(rounds: ProbeRound[]): boolean {
  return rounds.every((r) => r.control.ok && r.probes.every((p) => p.outcome === 'denied'));
}

export async function confirmDataInaccessible(
  request: RevokeKeyRequest,
  settings: RunSettingsView,
  record: RunRecord<RunSubject>,
  gates: Gatekeeper,
): Promise<{ confirmed: boolean; rounds: ProbeRound[][] }> {
  const history: ProbeRound[][] = [];
  let windowEnds = Date.now() + settings.probeWindowSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    let rounds: ProbeRound[];
    try {
      rounds = await probeAll(request, `after the wait, round ${attempt}`);
    } catch (err) {
      if (isCancellation(err)) throw err;
      rounds = []; // no answer at all: unknown, never denied
    }
    keepBounded(history, rounds);
    const denied = rounds.length > 0 && allDenied(rounds);
    const readable = rounds.flatMap((r) => r.probes).filter((p) => p.outcome !== 'denied');
    record.update(
      'probes',
      'running',
      denied
        ? 'every probe denied, control call answered'
        : `round ${attempt}: ${readable.map((p) => `${p.kind} ${p.id} ${p.outcome}`).join(', ') || 'no answer'}`,
      history,
    );
    if (denied) return { confirmed: true, rounds: history };
    if (Date.now() >= windowEnds) {
      record.update(
        'probes',
        'waiting',
        `data not proven inaccessible after ${settings.probeWindowSeconds} s: a person decides`,
      );
      const task = await gates.task('probe-escalation');
      if (task.answer?.outcome !== 'keep-checking') return { confirmed: false, rounds: history };
      windowEnds = Date.now() + settings.probeWindowSeconds * 1000;
    }
    await sleep(settings.probeIntervalSeconds * 1000, { summary: 'wait before probing again' });
  }
}
