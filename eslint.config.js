// One lint configuration for the whole tree: typescript-eslint's strict rules everywhere, plus
// the type-aware rules that catch real bugs (unawaited promises, misused promises) on sources.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/.work/**', '**/*.d.ts', '.vitest-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring that drops a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Non-null assertions mark facts the type system cannot see (a started host's services).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Records keyed by table id are maps read from and written to JSON state files; deleting a key is the intent.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  {
    // The portal's script runs in the browser.
    files: ['packages/*/views/assets/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests read JSON answers loosely; `any` there is the answer's shape, not a public boundary.
    files: ['**/test/**/*.ts', 'tests/**/*.ts', 'examples/**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
