import type { TestProject } from 'vitest/node';
import { startTestTemporal } from './temporal-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

let server: Awaited<ReturnType<typeof startTestTemporal>> | undefined;

/** One real Temporal dev server for the integration suite; each test uses its own task queue. */
export async function setup(project: TestProject) {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) {
    throw new Error('TEMPORAL_CLI_PATH is not set: run the tests through `npm test` (deploy/scripts/test.sh), which installs the Temporal CLI');
  }
  server = await startTestTemporal(cli);
  project.provide('temporalAddress', server.address);
}

export async function teardown() {
  await server?.stop();
}
