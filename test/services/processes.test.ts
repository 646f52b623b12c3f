import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureWorkerBuild } from '../../services/worker/src/build.ts';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { freePort } from '../harness/temporal-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs a TypeScript entry under tsx, or a compiled one (the worker, WORKER_BUILD_PATH) as it is. */
function run(entry: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('service processes', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase();
    env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `proc-${randomBytes(4).toString('hex')}`,
      SYNCBRIDGE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY: `sbk_${randomBytes(24).toString('base64url')}`,
      LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('the API and the worker refuse to start on an unmigrated meta-store, saying what to run', async () => {
    for (const entry of ['services/api/src/main.ts', 'services/worker/src/main.ts']) {
      const proc = run(entry, { ...env, API_PORT: String(await freePort()) });
      expect(await proc.exited, proc.output()).toBe(1);
      expect(proc.output()).toContain('not migrated');
      expect(proc.output()).toContain('pnpm db:migrate');
    }
  });

  it('refuses to start with a clear message when configuration is wrong', async () => {
    const proc = run('services/api/src/main.ts', { ...env, DATABASE_URL: 'nonsense' });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output()).toContain('DATABASE_URL');
  });

  it('migrates with one command, then both services (the worker compiled, as deployments run it) start and stop gracefully on SIGTERM', async () => {
    const migrate = run('shared/src/db/migrate-cli.ts', env);
    expect(await migrate.exited, migrate.output()).toBe(0);

    const port = await freePort();
    const api = run('services/api/src/main.ts', { ...env, API_PORT: String(port) });
    const worker = run(await ensureWorkerBuild(), env);
    await until(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, 'api /readyz');
    await until(() => worker.output().includes('"worker started"'), 'worker start');

    // API -> Temporal -> worker process -> PostgreSQL, across real processes.
    const res = await fetch(`http://127.0.0.1:${port}/v1/diagnostics/health-workflow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY}`, 'x-request-id': 'proc-req-1' },
    });
    expect(res.status).toBe(200);
    await until(() => worker.output().includes('"requestId":"proc-req-1"'), 'activity log with the request id', 10_000);

    worker.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    expect(await worker.exited, worker.output()).toBe(0);
    expect(await api.exited, api.output()).toBe(0);
    expect(worker.output()).toContain('"worker stopped"');
    expect(api.output()).not.toContain(env.SYNCBRIDGE_ENCRYPTION_KEYS!.slice(3));
    expect(api.output()).not.toContain(env.SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY);
  });
});
