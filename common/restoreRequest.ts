// What `ekm restore` is given: the revocation run whose snapshot it puts back, who asks and why.
import { z } from 'zod';
import { signatureSchema } from './signedStatement';
import { changeTicketField, personField } from './revocationRequest';

/** `ekm restore`: puts back what a revocation removed, from the snapshot that run kept. */
export const restoreAccessInput = z
  .object({
    revokeWorkflowId: z.string().trim().min(1, 'must name the revocation run (its workflow id)'),
    revokeRunId: z.string().uuid('must be the revocation run id (see `ekm status`)'),
    requester: personField,
    reason: z.string().trim().min(1, 'must say why access is restored').max(2000, 'is too long'),
    changeTicket: changeTicketField,
    /** The requester's signature over the request as sent (`ekm … --signing-key`); see startStatement. */
    signature: signatureSchema.optional(),
  })
  .strict();
export type RestoreAccessInput = z.input<typeof restoreAccessInput>;
