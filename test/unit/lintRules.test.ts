// The lint rules that hold the provider seam in place (eslint.config.mjs), shown failing on deliberate
// violations: a branch on a cloud's name in a runbook, common/ reaching into activities/, the worker or a
// cloud's folder, a cloud's spec importing the code that uses it. Each snippet is linted as if it were a
// file at that path, with the project's own configuration (type-aware rules off: the files do not exist).
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../../..');
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/await-thenable': 'off',
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
});

/** The messages of the rules that guard the seam, for `code` as the file at `file`. */
async function seamViolations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-syntax' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('lint rules of the provider seam (eslint.config.mjs)', function () {
  this.timeout(60_000);

  const branches: [string, string][] = [
    ['a comparison', `export const f = (r: { provider: string }) => (r.provider === 'gcp' ? 1 : 2);`],
    ['a negated comparison', `export const f = (r: { provider: string }) => r.provider !== 'aws';`],
    ['a case', `export function f(p: string) { switch (p) { case 'aws': return 1; default: return 2; } }`],
    ['an index by name', `const m: Record<string, number> = {}; export const x = m['gcp'];`],
    ['an object keyed by name', `export const names = { aws: 'AWS KMS', gcp: 'Cloud KMS' };`],
    ['a future cloud', `export const f = (p: string) => p == 'azure';`],
  ];
  for (const [what, code] of branches)
    it(`refuses ${what} on a cloud's name under workflows/`, async function () {
      const messages = await seamViolations('workflows/probe.ts', code);
      assert.ok(
        messages.some((m) => m.startsWith('No branch on a cloud’s name here')),
        `no violation reported for: ${code}\n${messages.join('\n')}`,
      );
    });

  it('lets the same code live in a cloud’s own folder, and a runbook ask the spec', async function () {
    assert.deepEqual(await seamViolations('providers/gcp/workflow/probe.ts', branches[0]![1]), []);
    assert.deepEqual(
      await seamViolations(
        'workflows/probe.ts',
        `import { specOf } from '../providers';\nexport const f = (r: { provider: 'aws' | 'gcp' }) => specOf(r).trailName;`,
      ),
      [],
    );
  });

  const commonImports = [
    `import type { EkmActivities } from '../activities';`,
    `import { describeAwsKey } from '../providers/aws/activities/describeKey';`,
    `import type { WorkerConfig } from '../worker/config';`,
    `import { providerSpecs } from '../providers';`,
  ];
  for (const code of commonImports)
    it(`refuses common/ → ${code.split("from '")[1]!.replace("';", '')}`, async function () {
      const messages = await seamViolations('common/probe.ts', code);
      assert.ok(messages.length > 0, `no violation reported for: ${code}`);
    });

  it('lets common/ import common/', async function () {
    assert.deepEqual(
      await seamViolations('common/probe.ts', `import { z } from 'zod';\nimport { runTag } from './runTag';`),
      [],
    );
  });

  it('refuses a cloud’s spec importing the runbooks, the worker or the CLI', async function () {
    for (const code of [
      `import { call } from '../../workflows/revoke/call';`,
      `import type { WorkerConfig } from '../../worker/config';`,
      `import { UsageError } from '../../client/errors';`,
    ]) {
      const messages = await seamViolations('providers/aws/spec.ts', code);
      assert.ok(
        messages.some((m) => m.includes('A cloud’s spec depends on common/ only')),
        `no violation reported for: ${code}`,
      );
    }
  });

  it('refuses a Node built-in in a cloud’s workflow code (it runs in the workflow bundle)', async function () {
    const messages = await seamViolations(
      'providers/aws/workflow/probe.ts',
      `import { readFileSync } from 'node:fs';`,
    );
    assert.ok(
      messages.some((m) => m.includes('deterministic sandbox')),
      messages.join('\n'),
    );
  });
});
