// The plan: the exact changes a revocation will make, what else they stop, and a hash over the request,
// the baseline it was made from and the worker's settings. Approvals are bound to that hash, so a vote
// for one plan can never approve another, and drift in the world shows up as a new hash.
import type { RevocationBaseline, RevokeKeyRequest } from './requests';
import type { RunSettingsView } from '../common/runStatus';
import type { RevocationPlan } from './runStatus';
import type { RevocationPlanWords } from './planWords';
import { specOf } from '.';
import { canonicalJson } from '../common/canonicalJson';
import { hashText } from '../common/hashText';
import { revocationActions } from './runbookActions';

export interface PlanRequest {
  request: RevokeKeyRequest;
  /** Read for the request's cloud (readBaseline): a GCP baseline carries `provider`, AWS's predates it. */
  baseline: RevocationBaseline;
  settings: RunSettingsView;
}

/** The parts of the baseline that must not move between approval and action (answers' ids and times may). */
export function baselineDigest(baseline: RevocationBaseline): string {
  const { takenAt: _taken, ...access } = baseline.access;
  void _taken;
  return sha256(
    canonicalJson({
      // AWS baselines predate the provider field: theirs hash as they always did.
      ...('provider' in baseline ? { provider: baseline.provider } : {}),
      key: baseline.key,
      access,
      externalKey: baseline.externalKey,
      // The order OpenAI lists things in is not state: sorted, a re-read in another order is no drift.
      blastRadius: {
        externalKeys: [...baseline.blastRadius.externalKeys].sort(byId),
        projects: [...baseline.blastRadius.projects].sort(byId),
      },
      projects: baseline.projects,
      validate: baseline.validate?.outcome,
    }),
  );
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The plan's hashes: the project's one hash of text (common/hashText.ts). */
export const sha256 = hashText;

export async function planRevocation(plan: PlanRequest): Promise<RevocationPlan> {
  const { request, baseline, settings } = plan;
  // The cloud's words for its key (and its refusals), then the runbook every cloud shares from the validate on.
  const words = specOf(request).planRevocation(request, baseline);
  const changes = [...words.changes, ...afterTheRevoke(request, settings, words.keySteps)];
  // A plan-only run shows the hash the real run's approvers will see: `planOnly` is not part of it, nor
  // is a signed start's signature (a plan-only run is never signed; the start is verified on its own).
  const { planOnly: _planOnly, signature: _signature, ...planned } = request;
  void _planOnly;
  void _signature;
  const hash = sha256(
    canonicalJson({
      request: planned,
      baseline: baselineDigest(baseline),
      settings: settings.digest,
      changes,
    }),
  );
  return {
    changes,
    // What the revoke gate authorises; not part of the plan's hash (the request it derives from is), so a
    // plan-only run still shows the plan hash the real run's gate lists.
    actions: revocationActions(request),
    alsoStops: words.alsoStops,
    projectsToArchive: request.product === 'api' ? request.projectIds : [],
    warnings: words.warnings,
    hash,
  };
}

/** From the validate on, the runbook is the same on every cloud but for the words of its key steps. */
function afterTheRevoke(
  request: RevokeKeyRequest,
  settings: RunSettingsView,
  words: RevocationPlanWords['keySteps'],
): string[] {
  const changes: string[] = [];
  if (request.externalKeyId)
    changes.push(
      `OpenAI validate ${request.externalKeyId} until ${settings.validateConfirmations} answers in a row say revoked`,
    );
  changes.push(`wait ${settings.cacheWaitSeconds} s for OpenAI's key cache (durable timer)`);
  if (request.probes.length)
    changes.push(
      `probe ${request.probes.length} object(s) with each project's own key: every one must be denied while a control call succeeds`,
    );
  else changes.push('a person attests that the ChatGPT Enterprise workspace no longer opens previous data');
  changes.push('second approval gate, then a fresh check that access is still revoked');
  if (request.product === 'api') {
    changes.push(`archive OpenAI project(s) ${request.projectIds.join(', ')} (irreversible)`);
    if (request.replace) changes.push(words.replacement);
  } else {
    changes.push(
      `a person contacts OpenAI support about workspace ${request.workspaceId} (ticket reference recorded)`,
    );
    if (request.replace) changes.push(words.workspaceReplacement);
  }
  if (request.deleteAfterDays) changes.push(words.deletion);
  return changes;
}
