import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('keeps lookup, person and multi-choice columns, their values and the User Information List across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spemu-state-'));
    const persistFile = join(dir, 'state.json');
    const first = await startHarness({ persistFile });
    const items = (listId: string) => `/sites/${first.siteId}/lists/${listId}/items`;
    const source = await first.createList('Persisted Source');
    await first.graph('POST', items(source.id), { fields: { Title: 'Red' } });
    const grace = (await first.admin('POST', `/sites/${first.siteId}/users`, { email: 'grace@contoso.com', displayName: 'Grace Hopper' })).body
      .lookupId as number;
    const list = await first.createList('Persisted Complex', [
      { name: 'Tags', choice: { choices: ['A', 'B'], displayAs: 'checkBoxes' } },
      { name: 'Color', lookup: { listId: source.id, columnName: 'Title', allowMultipleValues: true } },
      { name: 'Owner', personOrGroup: { chooseFromType: 'peopleAndGroups' } },
    ]);
    const created = await first.graph('POST', items(list.id), { fields: { Tags: ['B', 'A'], ColorLookupId: [1], OwnerLookupId: grace } });
    expect(created.status).toBe(201);
    const columnsBefore = (await first.graph('GET', `/sites/${first.siteId}/lists/${list.id}/columns`)).body.value;
    const usersBefore = (await first.admin('GET', `/sites/${first.siteId}/users`)).body;
    await first.close();

    const second = await startHarness({ persistFile });
    try {
      expect((await second.graph('GET', `/sites/${second.siteId}/lists/${list.id}/columns`)).body.value).toEqual(columnsBefore);
      const fields = (await second.graph('GET', `${items(list.id)}/${created.body.id}?$expand=fields($select=Tags,Color,Owner,OwnerLookupId)`)).body.fields;
      expect(fields).toEqual({
        '@odata.etag': created.body.eTag,
        'Tags@odata.type': 'Collection(Edm.String)',
        Tags: ['B', 'A'],
        Color: [{ LookupId: 1, LookupValue: 'Red' }],
        Owner: 'Grace Hopper',
        OwnerLookupId: String(grace),
      });
      expect((await second.admin('GET', `/sites/${second.siteId}/users`)).body).toEqual(usersBefore);
      const uil = await second.graph('GET', `/sites/${second.siteId}/lists/${usersBefore.listId}`);
      expect(uil.body.list).toMatchObject({ hidden: true, template: 'userInformation' });
      // Lookup ids keep counting after the restart.
      const next = await second.admin('POST', `/sites/${second.siteId}/users`, { email: 'linus@contoso.com', displayName: 'Linus' });
      expect(next.body.lookupId).toBe(grace + 1);
    } finally {
      await second.close();
    }
  });

  it('gives sites from a state file saved before the User Information List existed one, with the app principal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spemu-state-'));
    const persistFile = join(dir, 'state.json');
    const first = await startHarness({ persistFile });
    const list = await first.createList('Old Format');
    await first.close();
    const state = JSON.parse(readFileSync(persistFile, 'utf8'));
    for (const tenant of state.tenants) {
      for (const site of tenant.sites) {
        site.lists = site.lists.filter((l: { template: string }) => l.template !== 'userInformation');
        for (const l of site.lists) delete l.hidden;
      }
    }
    writeFileSync(persistFile, JSON.stringify(state));

    const second = await startHarness({ persistFile });
    try {
      const users = await second.admin('GET', `/sites/${second.siteId}/users`);
      expect(users.body.value).toEqual([{ lookupId: 1073741822, email: '', displayName: 'SharePoint App', userName: 'app@sharepoint' }]);
      const old = await second.graph('GET', `/sites/${second.siteId}/lists/${list.id}`);
      expect(old.body.list.hidden).toBe(false);
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
