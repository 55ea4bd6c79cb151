import { defineConfig } from 'vitest/config';

// For `npm test` inside this folder (and once it is copied out of the monorepo); the
// repository's own vitest.config.ts runs these tests with the same timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file boots a real host (DuckDB files, HTTP on loopback): seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
