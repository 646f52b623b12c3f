import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { startHarness } from './helpers.ts';

describe('state persistence', () => {
  it('saves state to persistFile and loads it on restart: lists, items, eTags, tokens and the CA certificate survive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spemu-state-'));
    const persistFile = join(dir, 'state.json');
    const first = await startHarness({ persistFile });
    const list = await first.createList('Persisted', [{ name: 'Qty', number: {} }]);
    const created = await first.graph('POST', `/sites/${first.siteId}/lists/${list.id}/items`, { fields: { Title: 'kept', Qty: 4 } });
    const deltaLink = (await first.graph('GET', `/sites/${first.siteId}/lists/${list.id}/items/delta`)).body['@odata.deltaLink'] as string;
    const oldToken = first.token;
    const oldCa = first.emu.caCertificatePem;
    await first.close();
    expect(existsSync(persistFile)).toBe(true);

    const second = await startHarness({ persistFile });
    try {
      expect(second.siteId).toBe(first.siteId);
      expect(second.emu.caCertificatePem).toBe(oldCa);
      const item = await second.graph('GET', `/sites/${second.siteId}/lists/${list.id}/items/${created.body.id}?$expand=fields`);
      expect(item.status).toBe(200);
      expect(item.body.eTag).toBe(created.body.eTag);
      expect(item.body.fields).toMatchObject({ Title: 'kept', Qty: 4 });
      const withOldToken = await fetch(`${second.emu.graphBaseUrl}/sites/${second.siteId}`, { headers: { authorization: `Bearer ${oldToken}` } });
      expect(withOldToken.status).toBe(200);
      // Ids continue and delta tokens issued before the restart still work.
      const next = await second.graph('POST', `/sites/${second.siteId}/lists/${list.id}/items`, { fields: { Title: 'after restart' } });
      expect(next.body.id).toBe('2');
      // The port changed with the restart; the token in the link did not.
      const link = new URL(deltaLink);
      const changes = await second.graph('GET', `${link.pathname.replace(/^\/v1\.0/, '')}${link.search}`);
      expect(changes.body.value.map((i: { id: string }) => i.id)).toEqual(['2']);
    } finally {
      await second.close();
    }
  });

  it('saves changes without a close (debounced), so a crash loses at most the last moments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spemu-state-'));
    const persistFile = join(dir, 'state.json');
    const h = await startHarness({ persistFile });
    try {
      const list = await h.createList('Debounced');
      await new Promise((r) => setTimeout(r, 600));
      expect(readFileSync(persistFile, 'utf8')).toContain(list.id);
    } finally {
      await h.close();
    }
  });

  it('main.ts prints its URLs as one JSON line, writes the CA PEM and exits cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spemu-main-'));
    const certFile = join(dir, 'ca.pem');
    const root = resolve(import.meta.dirname, '../../..');
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../src/main.ts')], {
      cwd: root,
      env: { ...process.env, EMULATOR_PORT: '0', EMULATOR_TOKEN_PORT: '0', EMULATOR_CERT_FILE: certFile, EMULATOR_CLIENT_SECRET: 'from-env' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolveLine, reject) => {
        const rl = createInterface({ input: child.stdout });
        rl.once('line', resolveLine);
        child.once('exit', (code) => reject(new Error(`main.ts exited early with ${code}`)));
      });
      const info = JSON.parse(line);
      expect(info.graphBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\.0$/);
      expect(info.authorityHost).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(readFileSync(certFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
      const admin = await fetch(info.adminUrl);
      expect(admin.status).toBe(200);
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
