import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; integration tests share one Temporal dev server
// (started in globalSetup) and real PostgreSQL, with a fresh database per file.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/test/**/*.test.ts', 'workflows/test/**/*.test.ts', 'activities/test/**/*.test.ts', 'services/*/test/**/*.unit.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'services/*/test/**/*.int.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
