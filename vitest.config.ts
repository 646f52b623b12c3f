import { configDefaults, defineConfig } from 'vitest/config';

// Integration files whose assertions depend on timing or on having the machine to themselves
// (budget rates, deadlines, throttles, schedules, several worker processes): they run one at a
// time, after the rest. Every other integration file runs two at a time, each with its own
// database, task queue and emulator, on the project's one Temporal dev server.
const TIMING_SENSITIVE = [
  'test/services/shared-budget.test.ts',
  'test/services/processes.test.ts',
  'test/sync/tenant-priorities.test.ts',
  'test/sync/scale-out.test.ts',
  'test/sync/schedules.test.ts',
  'test/api/connection-deadlines.test.ts',
  'test/api/auth-throttle.test.ts',
  'test/api/probe-limits.test.ts',
  'test/ui/browser.test.ts',
];

const integration = {
  globalSetup: ['test/harness/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/test/**/*.test.ts', 'workflows/test/**/*.test.ts', 'activities/test/**/*.test.ts', 'services/*/test/**/*.unit.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'services/*/test/**/*.int.test.ts'],
          exclude: [...configDefaults.exclude, ...TIMING_SENSITIVE],
          ...integration,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'integration-serial',
          include: TIMING_SENSITIVE,
          ...integration,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
