// Step "replace": the runbook's best practice after a revocation — a new key with OpenAI's access, its
// registration and a new project per archived one (providers/<cloud>/workflow/replacement.ts and
// provision.ts) — then validate the replacement: the old key's deletion never rests on one that fails.
import type { AccessSnapshot, RevocationBaseline } from '../../../providers/requests';
import { patchedBeforeCheaper } from '../cheaperRuns';
import { validateOnce } from '../confirm';
import { ReplacementStopped, type Replacement } from '../provision';
import type { Revocation } from '../revocation';

/** Why the run ends without its deletion step, or undefined when the replacement works. */
export async function replace(
  run: Revocation,
  afterRevoke: RevocationBaseline,
  snapshot: AccessSnapshot,
): Promise<string | undefined> {
  const { request, record, gates, cloud } = run;
  record.start('replace');
  let replacement: Replacement;
  try {
    // Names from the whole run id, adoption only with proof, a person where proof is missing; runs from
    // before adopted whatever carried the name they gave.
    replacement = patchedBeforeCheaper('replacement-owned-by-proof')
      ? await cloud.provisionReplacement(request, afterRevoke, gates, snapshot)
      : await cloud.provisionReplacementBeforeProof(request, afterRevoke, gates.proof('archive'), snapshot);
  } catch (err) {
    if (!(err instanceof ReplacementStopped)) throw err;
    const { projects: _made, ...made } = err.made;
    void _made;
    record.status.replacement = made;
    record.update('replace', 'failed', err.message, err.made);
    record.update('deletion', 'skipped', 'the replacement was not completed: the old key is kept');
    return `archived; ${err.message}`;
  }
  const { projects: _projects, ...ids } = replacement;
  void _projects;
  record.status.replacement = ids;
  const newKey = replacement.keyArn ?? replacement.keyName;
  if (!replacement.externalKeyId) {
    record.done(
      'replace',
      `new key ${newKey} (give it to OpenAI support for the new workspace)`,
      replacement,
    );
    return undefined;
  }
  const check = await validateOnce(
    replacement.externalKeyId,
    `validate the replacement ${replacement.externalKeyId}`,
  );
  if (check.outcome !== 'success') {
    // Never schedule the old key's deletion on the strength of a replacement that does not work.
    record.update('replace', 'failed', `the replacement does not validate: ${check.why}`, replacement);
    record.update('deletion', 'skipped', 'the replacement does not validate: the old key is kept');
    return `archived; the replacement does not validate (${check.why})`;
  }
  record.done(
    'replace',
    `new key ${newKey}, ${replacement.externalKeyId}, ${replacement.projects.map((p) => p.id).join(', ')}`,
    replacement,
  );
  return undefined;
}
