// Unit tests sit beside the code (*.spec.ts); end-to-end tests that start real tiers live in test/.
// Vite transforms the TypeScript (decorator metadata included, read from tsconfig.json); types are
// checked once by `npm run typecheck`, not per test file.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // The one public door of each lib, as tsconfig.json's `paths` say.
    alias: [
      { find: /^@lib\/([a-z-]+)$/, replacement: `${root}libs/$1/src/index.ts` },
    ],
  },
  test: {
    globals: true,
    environment: 'node',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'libs/**/*.spec.ts',
            'apps/**/*.spec.ts',
            'tools/**/*.spec.ts',
            'bench/**/*.spec.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          // One file at a time: each starts its own tiers, proxies and databases, and two noisy cores
          // are not enough to run two of those stacks without timing out the other's budgets.
          fileParallelism: false,
          slowTestThreshold: 30_000,
        },
      },
    ],
  },
});
