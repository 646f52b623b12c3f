// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Workflow code runs in Temporal's deterministic sandbox: no I/O libraries, no Node built-ins.
const workflowForbidden = [
  { group: ['node:*'], message: 'Workflow code may not use Node built-ins; do I/O in an activity.' },
  { group: ['drizzle-orm', 'drizzle-orm/*', 'postgres'], message: 'Workflow code may not touch the database; use an activity.' },
  { group: ['@microsoft/microsoft-graph-client', '@azure/identity'], message: 'Workflow code may not call Graph; use an activity.' },
  { group: ['@opentelemetry/sdk-*', '@opentelemetry/exporter-*'], message: 'Workflow code may not load the OTel SDK.' },
  // Pure shared modules (no I/O, deterministic) are the exception: failure types, operation rules, workflow ids.
  {
    regex: '^@syncbridge/(activities|shared(?!/(errors|operations|temporal/ids)$))(/.*)?$',
    message: 'Workflows import activities with `import type` only, and shared I/O code never.',
    allowTypeImports: true,
  },
];
const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'crypto',
  'http',
  'https',
  'net',
  'child_process',
  'worker_threads',
  'process',
  'dns',
  'url',
  'util',
  'stream',
  'timers',
  'events',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', '.data/**', 'shared/drizzle/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code may not use Node built-ins.' })), patterns: workflowForbidden },
      ],
    },
  },
  {
    // The web UI's own browser script (served as is, no build step).
    files: ['services/api/src/ui/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', HTMLFormElement: 'readonly' } },
  },
);
