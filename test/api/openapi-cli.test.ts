import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

it('`pnpm openapi` prints the document the API serves, without a database or Temporal', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/api/src/openapi-cli.ts'], {
    env: { PATH: process.env.PATH ?? '' },
    maxBuffer: 20 * 1024 * 1024,
  });
  const printed = JSON.parse(stdout) as { openapi: string; paths: Record<string, unknown> };
  const served = await (await stack.api('/openapi.json', { key: null })).json();
  expect(printed.openapi).toBe('3.1.0');
  expect(printed).toEqual(served);
  expect(Object.keys(printed.paths)).toContain('/v1/sync-runs');
});
