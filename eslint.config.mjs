// Lint rules the project relies on: no floating promises anywhere, no Node built-ins in workflow code
// (the workflow sandbox has none), and product code never reaching into the sandbox.
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
    files: ['workflows/**/*.ts', 'test/workflows/**/*.ts'],
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
