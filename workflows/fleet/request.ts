// What `revokeFleet` is given: who asks and why, how many children run at once, and the keys — each entry
// exactly the request `revokeKey` takes for its cloud (`ekm revoke start`'s fields), with the fleet's
// requester, reason, change ticket and urgency filled in where the entry gives none. Every entry is checked
// as its own run would check it, and an error names the entry and the field (`keys[3].roleArn: …`), so a
// bad file starts nothing.
import { z } from 'zod';
import { changeTicketField, personField } from '../../common/revocationRequest';
import { signatureSchema } from '../../common/signedStatement';
import { revokeKeyInput, type RevokeKeyInput, type RevokeKeyRequest } from '../../providers/requests';
import { keyOf } from '../../providers/runSubject';

/** How many children run at once unless the file or `--concurrency` says otherwise. */
export const defaultConcurrency = 4;

/** The fields the fleet sets for every entry, and that an entry may not set itself. */
const fleetOwned = ['requester', 'planOnly', 'signature'] as const;

/**
 * One entry, checked as its run will take it — with stand-ins for the fleet's fields, so an entry's errors
 * are named even when the top of the file has errors of its own.
 */
const entrySchema = z
  .record(z.string(), z.unknown(), { message: 'must be an object: one key’s revocation request' })
  .superRefine((entry, ctx) => {
    for (const field of fleetOwned)
      if (field in entry)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message:
            field === 'requester'
              ? 'is the fleet’s: one requester asks for every key (set it at the top of the file)'
              : 'is set by the command (`ekm fleet plan|start`, `--signing-key`), not by the file',
        });
    const standIn = {
      requester: 'fleet@example.com',
      reason: '-',
      changeTicket: 'CHG-0',
      urgency: 'normal' as const,
    };
    const parsed = revokeKeyInput.safeParse(childInput(standIn, entry));
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

const fleetFields = z
  .object({
    requester: personField,
    reason: z.string().trim().min(1, 'must say why the keys are revoked').max(2000, 'is too long'),
    changeTicket: changeTicketField,
    urgency: z.enum(['normal', 'incident'], { message: 'must be normal or incident' }).default('normal'),
    concurrency: z
      .number({ message: 'must be a whole number of children run at once' })
      .int('must be a whole number of children run at once')
      .min(1, 'must be at least 1')
      .max(200, 'must be at most 200 (the clouds’ quotas, not the fleet, bound a larger fleet)')
      .default(defaultConcurrency),
    keys: z
      .array(entrySchema, { message: 'must list the keys to revoke' })
      .min(1, 'must list at least one key')
      .max(1000, 'at most 1000 keys per fleet'),
    /** Plans only: every child plans, nothing changes and no gate opens (`ekm fleet plan`). */
    planOnly: z.boolean().default(false),
    /** The requester's signature over the fleet's request as sent (`--signing-key`); see startStatement. */
    signature: signatureSchema.optional(),
    /** Continue as new after this many events even before Temporal suggests it (tuning, tests). */
    continueAsNewAfterEvents: z.number().int().min(50).optional(),
  })
  .strict();

/** One entry as its run takes it: the fleet's fields under the entry's own. */
export function childInput(
  fleet: Pick<z.output<typeof fleetFields>, 'requester' | 'reason' | 'changeTicket' | 'urgency'>,
  entry: Record<string, unknown>,
): RevokeKeyInput {
  const { requester, reason, changeTicket, urgency } = fleet;
  return { reason, changeTicket, urgency, ...entry, requester } as RevokeKeyInput;
}

export const revokeFleetInput = fleetFields.transform((fleet, ctx) => {
  const keys: RevokeKeyRequest[] = [];
  const seen = new Map<string, number>();
  fleet.keys.forEach((entry, i) => {
    const parsed = revokeKeyInput.safeParse(childInput(fleet, entry));
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: ['keys', i, ...issue.path], message: issue.message });
      return;
    }
    const key = keyOf(parsed.data);
    const first = seen.get(key);
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['keys', i],
        message: `names the same key as keys[${first}] (${key}): one run per key`,
      });
    seen.set(key, i);
    keys.push(parsed.data);
  });
  return { ...fleet, requests: keys };
});
export type RevokeFleetInput = z.input<typeof revokeFleetInput>;
export type RevokeFleetRequest = z.output<typeof revokeFleetInput>;

/** `keys[3].roleArn: …`: the path of an issue as a person finds it in the file. */
export function fleetIssuePath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`))
    .join('');
}

/** Every issue of a fleet request, one per line, each naming the entry and the field. */
export function describeFleetIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? fleetIssuePath(issue.path) : '(file)'}: ${issue.message}`)
    .join('\n');
}
