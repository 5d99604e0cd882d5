// What every revocation request asks besides its cloud's key, principal and method: the product, OpenAI's
// registration, projects and probes, who asks and why. Each cloud's request (providers/<cloud>/request.ts)
// spreads these fields and refines them the same way, so a request reads the same on every cloud.
import { z } from 'zod';

export const products = ['api', 'chatgpt-enterprise'] as const;
export type Product = (typeof products)[number];

export const probeKinds = ['file', 'response', 'model'] as const;
export type ProbeKind = (typeof probeKinds)[number];

export const externalKeyIdField = z
  .string()
  .trim()
  .regex(/^extkey_[A-Za-z0-9_-]{1,128}$/, 'must be an OpenAI external key id (extkey_…)');
export const projectIdField = z
  .string()
  .trim()
  .regex(/^proj_[A-Za-z0-9_-]{1,128}$/, 'must be an OpenAI project id (proj_…)');
export const personField = z
  .string()
  .trim()
  .min(1, 'must name a person (e.g. alice@example.com)')
  .max(200, 'is too long (at most 200 characters)');

export const changeTicketField = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_./#:-]{0,99}$/, 'must be a change-ticket reference such as CHG-1234');

export const probeSpec = z
  .object({
    projectId: projectIdField,
    kind: z.enum(probeKinds, { message: `must be one of: ${probeKinds.join(', ')}` }),
    id: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_:.-]{1,256}$/, 'must be an OpenAI object id (file-…, resp_…, ft:…)'),
  })
  .strict();
export type ProbeSpec = z.infer<typeof probeSpec>;

/** What the product asks of a request, the same for every cloud: the API needs its registration, projects
 * and probes; ChatGPT Enterprise its workspace, and nothing to probe. */
export function refineProductFields(
  input: {
    product: Product;
    externalKeyId?: string;
    projectIds: string[];
    workspaceId?: string;
    probes: ProbeSpec[];
  },
  ctx: z.RefinementCtx,
): void {
  if (input.product === 'api') {
    if (!input.externalKeyId)
      ctx.addIssue({
        code: 'custom',
        path: ['externalKeyId'],
        message: 'is required for the API (extkey_…)',
      });
    if (input.projectIds.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['projectIds'],
        message: 'must list every project bound to the key (at least one)',
      });
    if (input.probes.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['probes'],
        message:
          'must name at least one object to probe (file, response or model): without one, "denied" proves nothing',
      });
    if (input.workspaceId)
      ctx.addIssue({ code: 'custom', path: ['workspaceId'], message: 'is for chatgpt-enterprise only' });
  } else {
    if (!input.workspaceId)
      ctx.addIssue({
        code: 'custom',
        path: ['workspaceId'],
        message: 'is required for chatgpt-enterprise',
      });
    if (input.probes.length)
      ctx.addIssue({
        code: 'custom',
        path: ['probes'],
        message: 'ChatGPT Enterprise has no API to probe: a person attests instead',
      });
  }
  input.probes.forEach((probe, i) => {
    if (!input.projectIds.includes(probe.projectId))
      ctx.addIssue({
        code: 'custom',
        path: ['probes', i, 'projectId'],
        message: `${probe.projectId} is not one of projectIds`,
      });
  });
  if (new Set(input.projectIds).size !== input.projectIds.length)
    ctx.addIssue({ code: 'custom', path: ['projectIds'], message: 'lists a project twice' });
}

/** What a revocation asks besides the key and the method: the same for every cloud. */
export const revocationFields = {
  /** API: the external key registered with OpenAI. Required for the API, optional for ChatGPT Enterprise. */
  externalKeyId: externalKeyIdField.optional(),
  /** API: every project bound to the key (the run refuses if one is missing). */
  projectIds: z.array(projectIdField).max(100, 'at most 100 projects per run').default([]),
  /** ChatGPT Enterprise: the workspace whose key is revoked. */
  workspaceId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be the ChatGPT Enterprise workspace id')
    .optional(),
  /** Objects that must be readable before and denied after (the API's "previous data"). */
  probes: z.array(probeSpec).max(50, 'at most 50 probes').default([]),
  requester: personField,
  reason: z.string().trim().min(1, 'must say why the key is revoked').max(2000, 'is too long'),
  changeTicket: changeTicketField,
  /** Incidents use the break-glass approval policy of the worker's configuration. */
  urgency: z.enum(['normal', 'incident'], { message: 'must be normal or incident' }).default('normal'),
  /** Preflight and plan only, then end: nothing is changed and no gate opens (`ekm revoke plan`). */
  planOnly: z.boolean().default(false),
  /** Provision a replacement key, external key and project once the old project is archived. */
  replace: z.boolean().default(true),
};
