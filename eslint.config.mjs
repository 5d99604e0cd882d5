// Lint rules the project relies on: no floating promises anywhere, no Node built-ins in workflow code
// (the workflow sandbox has none), product code never reaching into the sandbox, and the provider seam:
// the runbooks never test which cloud a key is on (they ask the cloud's spec or operations), and a cloud's
// spec depends on nothing but common/. test/unit/lintRules.test.ts shows each rule failing.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const sandboxImport = {
  group: ['**/sandbox', '**/sandbox/**'],
  message: 'Product code must not depend on the sandbox; pass what it needs through configuration.',
};
const nodeBuiltinPaths = nodeBuiltins.map((name) => ({
  name,
  message: 'Workflow code runs in a deterministic sandbox without Node built-ins.',
}));
const activityTypesOnly = {
  group: ['**/activities/*', '!**/activities/index'],
  message: 'Workflows import activity types only, through activities/index.',
};
// Dependencies point one way: workflows → provider specs → common. common/ knows no cloud, no activity and
// no worker (a cloud's part goes to providers/<cloud>/, and common takes it as a parameter or type).
const commonStaysCommon = {
  group: ['**/activities', '**/activities/**', '**/worker/**', '**/providers', '**/providers/**'],
  message:
    'common/ imports neither activities, the worker nor providers: move the cloud-specific part to providers/<cloud>/, or take it as a parameter.',
};

// The clouds by name (Azure too, before it comes, so its first branch is caught). A comparison with one,
// a `case` on one, an index by one or an object keyed by one is a branch on the cloud.
const cloudName = '/^(aws|gcp|azure)$/';
const providerBranch = {
  message:
    'No branch on a cloud’s name here: ask the cloud’s spec (providers/index.ts specOf) or operations (providers/operations.ts operationsOf); per-cloud code lives in providers/<cloud>/.',
};
const providerBranches = [
  `BinaryExpression[operator=/^[!=]==?$/] > Literal[value=${cloudName}]`,
  `SwitchCase > Literal.test[value=${cloudName}]`,
  `MemberExpression[computed=true] > Literal.property[value=${cloudName}]`,
  `Property > Identifier.key[name=${cloudName}]`,
  `Property > Literal.key[value=${cloudName}]`,
].map((selector) => ({ selector, ...providerBranch }));
// What a cloud's spec and request (and the registry) may import: common/ and each other, never the code
// that uses them.
const specImports = {
  group: ['**/workflows', '**/workflows/**', '**/worker', '**/worker/**', '**/client', '**/client/**'],
  message:
    'A cloud’s spec depends on common/ only: workflows, the worker and the CLI depend on it, not the reverse.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.data/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['codec/**/*.ts', 'activities/**/*.ts', 'worker/**/*.ts', 'client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [sandboxImport] }] },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...providerBranches] },
  },
  {
    // A cloud's spec, requests and the registry: workflow-safe, depending on common/ only. Beside them sit
    // the cloud's Node-side parts — its workflow steps (the runbooks' plumbing), its activities, its CLI
    // flags and its worker-configuration section — which serve the CLI and the worker and may use theirs.
    files: ['providers/**/*.ts'],
    ignores: [
      'providers/*/workflow/**',
      'providers/*/activities/**',
      'providers/operations.ts',
      'providers/**/cli.ts',
      'providers/*/keyResolution.ts',
      'providers/cloudCli.ts',
      'providers/cloudClis.ts',
      'providers/cloudActivities.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'A cloud’s spec is in the workflow bundle.' })),
          patterns: [sandboxImport, specImports],
        },
      ],
    },
  },
  {
    files: [
      'workflows/**/*.ts',
      'test/workflows/**/*.ts',
      'providers/operations.ts',
      'providers/*/workflow/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: nodeBuiltinPaths, patterns: [sandboxImport, activityTypesOnly] },
      ],
    },
  },
  // One rule object for common/: a later object for the same files would replace this rule, not add to it.
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: nodeBuiltinPaths, patterns: [sandboxImport, commonStaysCommon] },
      ],
    },
  },
);
