import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startTemporalDevServer } from '../../deploy/stack/temporal-dev-server.ts';

export { freePort };

/** A headless dev server on free ports with a throw-away SQLite file, for the test suite. */
export async function startTestTemporal(cliPath: string) {
  const dir = mkdtempSync(join(tmpdir(), 'syncbridge-temporal-'));
  const server = await startTemporalDevServer({ cliPath, port: await freePort(), uiPort: null, dbFile: join(dir, 'temporal.db') });
  return {
    address: server.address,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
