// Adding a cloud touches each registry of providers/ (CONTRIBUTING.md, "Adding a cloud"). The registries
// typed Record<ProviderId, …> (specs, operations, activities, clients, configuration sections, CLI modules)
// fail to compile when one lacks a cloud; the request unions are zod schemas, which would not: this checks
// that each union takes every cloud the registry lists, and refuses one it does not.
import { strict as assert } from 'node:assert';
import type { z } from 'zod';
import { providerIds, providerSpecs } from '../../providers';
import { inspectKeyInput } from '../../providers/inspectKeyInput';
import { revokeKeyInput } from '../../providers/requests';
import { rotateKeyInput } from '../../providers/rotateRequests';
import { verifyKeyUsageInput } from '../../providers/usageRequests';
import { watchKeyDeletionInput } from '../../providers/watchRequests';

const unions: [string, z.ZodTypeAny][] = [
  ['revocation (providers/requests.ts)', revokeKeyInput],
  ['rotation (providers/rotateRequests.ts)', rotateKeyInput],
  ['usage check (providers/usageRequests.ts)', verifyKeyUsageInput],
  ['deletion watch (providers/watchRequests.ts)', watchKeyDeletionInput],
  ['key inspection (providers/inspectKeyInput.ts)', inspectKeyInput],
];

/** The issues a union finds in a request that names only its cloud: none of them about `provider`. */
function providerIssues(schema: z.ZodTypeAny, provider: string): string[] {
  const result = schema.safeParse({ provider });
  if (result.success) return [];
  return result.error.issues.filter((i) => i.path[0] === 'provider').map((i) => i.message);
}

describe('every cloud in every request union', function () {
  for (const id of providerIds)
    it(`${id}: each union takes its requests`, function () {
      assert.equal(providerSpecs[id].id, id);
      for (const [what, schema] of unions)
        assert.deepEqual(providerIssues(schema, id), [], `the ${what} union does not know ${id}`);
    });

  it('a cloud no registry lists is refused at `provider` by each union', function () {
    for (const [what, schema] of unions)
      assert.ok(providerIssues(schema, 'azure').length > 0, `the ${what} union took an unknown cloud`);
  });
});
