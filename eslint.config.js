import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The web console: browser code (checked by tsconfig.ui.json with the DOM's types, so no
    // globals list is needed here), built by scripts/build-ui.mjs.
    files: ['ui/src/**/*.{ts,tsx}'],
    rules: {
      // The session is an HttpOnly cookie and the CSRF token stays in memory: nothing is stored.
      'no-restricted-globals': ['error', 'localStorage', 'sessionStorage', 'indexedDB'],
      // No server code in the bundle (it would drag Node modules and zod in), except its types
      // and the formatters that import nothing, shared so that the console reads as receivers do.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'] },
            {
              regex: '/src/(?!model/(format|time-text|severity)$)',
              allowTypeImports: true,
              message: 'the web console imports only types and the dependency-free formatters of src/',
            },
          ],
        },
      ],
    },
  },
);
