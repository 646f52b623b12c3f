import { defineConfig } from 'vitest/config';

// Records workflow histories for the replay suite (test/replay/replay.test.ts). Not part of
// `npm test`: run it when a workflow changes shape, before changing it, and check in what it writes:
//   TEMPORAL_CLI_PATH=... pnpm exec vitest run --config test/replay/record.vitest.config.ts
export default defineConfig({
  test: {
    include: ['test/replay/record/*.record.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
