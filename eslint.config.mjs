// Lint runs in `npm test`. Type-aware rules catch floating promises, which on a deadline path
// are work nobody waits for.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import deadline from './tools/eslint-rules/index.cjs';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.tmp/**',
      'test-artifacts/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      '**/*.mts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      '@typescript-eslint/require-await': 'off',
      // Abort reasons are ours (typed errors) but typed `any` by the DOM lib.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'],
              message:
                'Import libs by their alias (@lib/<name>), never by path.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // Formatting is Prettier's (`npm run format:check`): turn off the lint rules that would disagree with it.
  prettier,
  // The static half of the lost-deadline guard (tools/eslint-rules): app code must not drop a request's deadline.
  {
    files: ['apps/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    plugins: { deadline },
    rules: {
      'deadline/no-unlinked-abort': 'error',
      'deadline/no-escaping-downstream-call': 'error',
      'deadline/no-detached-deadline': 'error',
    },
  },
  {
    // Allow-list: work that outlives a request on purpose, each under a bounded deadline of its own.
    files: [
      'apps/order/src/order.service.ts', // the saga's follow-up (settle) after the request
      'apps/**/src/*.sweeper.ts', // reservation sweeper, saga recovery
      'apps/inventory/src/inventory.module.ts', // seeding the shelves at start-up
    ],
    rules: { 'deadline/no-detached-deadline': 'off' },
  },
);
