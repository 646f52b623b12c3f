import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/temporal-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The README's main command, as a newcomer runs it: embedded PostgreSQL, the Temporal
 * dev server with its Web UI, API, worker, the SharePoint emulator and the demo sync.
 */
describe('npm start: the whole stack on embedded defaults with the demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'syncbridge-stack-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('comes up, syncs the demo tables, answers /readyz, serves the Web UI, and stops cleanly', async () => {
    const ports = {
      api: await freePort(),
      pg: await freePort(),
      temporal: await freePort(),
      ui: await freePort(),
      emu: await freePort(),
      tok: await freePort(),
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'deploy/stack/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        SYNCBRIDGE_DATA_DIR: dataDir,
        API_PORT: String(ports.api),
        EMBEDDED_POSTGRES_PORT: String(ports.pg),
        TEMPORAL_PORT: String(ports.temporal),
        TEMPORAL_UI_PORT: String(ports.ui),
        EMULATOR_PORT: String(ports.emu),
        EMULATOR_TOKEN_PORT: String(ports.tok),
        DATABASE_URL: '',
        TEMPORAL_ADDRESS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 180_000;
      while (!out.includes('press Ctrl+C to stop')) {
        if (child.exitCode !== null || out.includes('failed to start')) throw new Error(`the stack did not start:\n${out}`);
        if (Date.now() > deadline) throw new Error(`the stack did not come up in time:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(out).toMatch(/products: shop\.products -> list "Products": \{[^}]*"created":5/);
      expect(out).toMatch(/order-lines: shop\.order_lines -> list "Order lines": \{[^}]*"created":60/);
      // The embedded PostgreSQL runs with wal_level=logical: the order lines are read from its log.
      expect(out).toContain("order-lines: read from PostgreSQL's log (logical replication)");
      expect(out).toContain(`http://127.0.0.1:${ports.api}/docs`);
      // The first screen says what a real tenant's budget means for a first load, and how to watch it.
      expect(out).toMatch(/products: First load of about 5 rows: at [\d,]+ resource units per minute/);
      expect(out).toMatch(/about 625 rows a minute \(16,000 rows: ~26 minutes\)/);
      expect(out).toMatch(/progress: GET http:\/\/127\.0\.0\.1:\d+\/v1\/sync-runs\/[0-9a-f-]{36}/);
      expect((await fetch(`http://127.0.0.1:${ports.api}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports.api}/docs`)).status).toBe(200);
      // The web UI answers at the address printed, with its sign-in form.
      expect(out).toContain(`http://127.0.0.1:${ports.api}/ui`);
      const signIn = await fetch(`http://127.0.0.1:${ports.api}/ui`);
      expect(signIn.url).toMatch(/\/ui\/sign-in/);
      expect(await signIn.text()).toContain('name="apiKey"');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
    expect(out).toContain('stopping');
  });
});
