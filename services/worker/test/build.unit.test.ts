import { execFile } from 'node:child_process';
import { stat, utimes } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildWorker, WORKER_BUILD_PATH, workerBuildIsStale } from '../src/build.ts';

const source = fileURLToPath(new URL('../src/node-flags.ts', import.meta.url));

/** A build and a node start: seconds alone, more while the other unit files share the two cores. */
const BUILD_TIMEOUT_MS = 60_000;

describe('the compiled worker (services/worker/src/build.ts)', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('loads under plain node, without the TypeScript loader, and checks its configuration like the source does', async () => {
    const path = await buildWorker();
    expect(path).toBe(WORKER_BUILD_PATH);
    // Every module it imports resolves and loads; the first thing main does is read its configuration.
    const run = promisify(execFile)(process.execPath, [path], { env: { PATH: process.env.PATH ?? '' } });
    const failure = (await run.then(
      () => null,
      (e: unknown) => e,
    )) as { code: number; stderr: string } | null;
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('DATABASE_URL');
    expect(failure?.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  });

  it('is stale once a source it was built from is newer, and fresh again after a build', async () => {
    await buildWorker();
    expect(await workerBuildIsStale()).toBe(false);
    const before = await stat(source);
    const later = new Date(Date.now() + 60_000);
    await utimes(source, later, later);
    try {
      expect(await workerBuildIsStale()).toBe(true);
    } finally {
      await utimes(source, before.atime, before.mtime);
    }
    expect(await workerBuildIsStale()).toBe(false);
  });
});
