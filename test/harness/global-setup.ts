import type { TestProject } from 'vitest/node';
import { startTemporalDevServer, type DevServer } from './temporal-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUiUrl: string;
  }
}

let server: DevServer | undefined;

/** One real Temporal dev server for the integration suite; each test uses its own task queue. */
export async function setup(project: TestProject) {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) {
    throw new Error('TEMPORAL_CLI_PATH is not set: run the tests through `npm test` (deploy/scripts/test.sh), which installs the Temporal CLI');
  }
  server = await startTemporalDevServer(cli, { ui: false });
  project.provide('temporalAddress', server.address);
  project.provide('temporalUiUrl', server.uiUrl);
}

export async function teardown() {
  await server?.stop();
}
