import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '@syncbridge/sharepoint-emulator';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync } from '../harness/sync.ts';
import { UiClient, type UiPage } from '../harness/ui.ts';

/** A UI client that keeps every page it was shown, to check no secret ever appears in one. */
class RecordingClient extends UiClient {
  readonly seen: UiPage[] = [];
  override async page(path: string): Promise<UiPage> {
    const p = await super.page(path);
    this.seen.push(p);
    return p;
  }
  override async submit(...args: Parameters<UiClient['submit']>): Promise<UiPage> {
    const p = await super.submit(...args);
    this.seen.push(p);
    return p;
  }
}

type Page<T> = { items: T[] };
interface Instance {
  id: string;
  name: string;
  priority: number;
  hasPassword: boolean;
  status: string;
}

describe('web UI: database instances, SharePoint connections and API keys', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let admin: RecordingClient;
  let viewer: RecordingClient;
  let viewerKey: string;
  // Not needed by the local PostgreSQL (it trusts local connections), but stored: it must never be shown.
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const ids = { appId: '', databaseId: '', instanceId: '', connectionId: '', siteId: '', listId: '' };

  const text = (p: UiPage, selector: string) => p.doc.querySelector(selector)?.textContent.replace(/\s+/g, ' ').trim() ?? '';
  const valueOf = (p: UiPage, selector: string) => p.doc.querySelector(selector)?.getAttribute('value');

  const instanceForm = () => ({
    databaseId: '',
    appId: '',
    appName: 'crm',
    appOwnerTeam: 'data-platform',
    dbName: 'crm-db',
    engine: 'postgres',
    environment: 'dev',
    name: 'primary',
    host: '127.0.0.1',
    port: new URL(source.url).port || '5432',
    databaseName: source.name,
    username: 'postgres',
    password,
    sslMode: 'disable',
    role: 'primary',
    priority: '',
  });

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table customers (id integer primary key, name text not null, email varchar(200) unique, note text)`;
    await sql`insert into customers (id, name, email) select g, 'customer ' || g, 'c' || g || '@example.com' from generate_series(1, 5) g`;
    viewerKey = (await apiJson<{ key: string }>(stack, '/v1/api-keys', { method: 'POST', json: { name: 'ui viewer', role: 'viewer' } }, 201)).key;
    admin = new RecordingClient(stack);
    await admin.signIn();
    viewer = new RecordingClient(stack);
    await viewer.signIn(viewerKey);
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it("adds an instance through the form, showing the API's field messages and keeping the input (never the password)", async () => {
    const list = await admin.page('/ui/instances');
    expect(list.title).toBe('Database instances');
    expect(list.actions).toContain('/ui/instances');
    expect(list.doc.querySelector('#inst-password')?.getAttribute('type')).toBe('password');

    // A bad port: the API's own message next to the field, the other values kept, nothing left behind.
    const apiAnswer = await stack.api('/v1/database-instances', {
      method: 'POST',
      json: { databaseId: '00000000-0000-4000-8000-000000000000', name: 'x', host: 'h', port: 70000, databaseName: 'd', username: 'u', role: 'primary' },
    });
    const portMessage = ((await apiAnswer.json()) as { errors: Array<{ field: string; message: string }> }).errors.find(
      (e) => e.field === 'body.port',
    )!.message;
    const badPort = await admin.submit('/ui/instances', { ...instanceForm(), port: '70000' });
    expect(badPort.status).toBe(400);
    expect(text(badPort, '#inst-port-error')).toBe(portMessage);
    expect(badPort.doc.querySelector('#inst-port')?.getAttribute('aria-invalid')).toBe('true');
    expect(valueOf(badPort, '#inst-port')).toBe('70000');
    expect(valueOf(badPort, '#inst-host')).toBe('127.0.0.1');
    expect(valueOf(badPort, '#inst-dbname')).toBe(source.name);
    expect(valueOf(badPort, '#inst-app-name')).toBe('crm');
    expect(valueOf(badPort, '#inst-password')).toBeUndefined();
    expect(badPort.doc.querySelector('#error-summary a[href="#inst-port"]')).not.toBeNull();
    // The app and database the request created before the instance failed were undone.
    expect((await apiJson<Page<unknown>>(stack, '/v1/apps')).items).toHaveLength(0);
    expect((await apiJson<Page<unknown>>(stack, '/v1/databases')).items).toHaveLength(0);

    // A missing field: named next to its input.
    const { host: _host, ...withoutHost } = instanceForm();
    const missing = await admin.submit('/ui/instances', withoutHost);
    expect(missing.status).toBe(400);
    expect(text(missing, '#inst-host-error')).not.toBe('');
    expect(valueOf(missing, '#inst-user')).toBe('postgres');

    const added = await admin.submit('/ui/instances', instanceForm());
    expect(added.status).toBe(200);
    expect(added.path).toMatch(/^\/ui\/instances\/[0-9a-f-]{36}$/);
    expect(added.text).toContain('Instance primary added');
    expect(added.text).toContain('stored (never shown)');
    ids.instanceId = added.path.split('/').pop()!;
    const apps = await apiJson<Page<{ id: string; name: string }>>(stack, '/v1/apps');
    expect(apps.items.map((a) => a.name)).toEqual(['crm']);
    ids.appId = apps.items[0]!.id;
    const databases = await apiJson<Page<{ id: string; name: string; engine: string }>>(stack, '/v1/databases');
    expect(databases.items.map((d) => [d.name, d.engine])).toEqual([['crm-db', 'postgres']]);
    ids.databaseId = databases.items[0]!.id;

    // The list shows it with its database.
    const listed = await admin.page('/ui/instances');
    expect(listed.text).toContain('crm-db');
    expect(listed.link('primary')).toBe(`/ui/instances/${ids.instanceId}`);
  });

  it('tests the connection, shows the result and health, and browses the schema', async () => {
    const tested = await admin.submit(`/ui/instances/${ids.instanceId}/test`);
    expect(tested.path).toBe(`/ui/instances/${ids.instanceId}`);
    expect(tested.doc.querySelector('[role="status"]')?.textContent).toMatch(/Connection test: ok, \d+ ms, server version PostgreSQL \d+/);
    expect(text(tested, 'dl.facts .status')).toContain('healthy');
    expect((await apiJson<Instance>(stack, `/v1/database-instances/${ids.instanceId}`)).status).toBe('healthy');

    // The schema is read when asked for; each table opens to its columns.
    expect((await admin.page(`/ui/instances/${ids.instanceId}`)).doc.querySelector('details')).toBeNull();
    const browsed = await admin.page(`/ui/instances/${ids.instanceId}?browse=1`);
    const table = browsed.doc.querySelectorAll('details').find((d) => d.querySelector('summary')?.textContent.includes('public.customers'));
    expect(table).toBeDefined();
    expect(table!.querySelector('summary')!.textContent).toContain('4 columns');
    const rows = table!.querySelectorAll('tbody tr').map((r) => r.querySelectorAll('td').map((td) => td.textContent.trim()));
    expect(rows.map((r) => r[0])).toEqual(['id', 'name', 'email', 'note']);
    expect(rows[0]!.slice(1, 4)).toEqual(['integer', 'no', 'primary key']);
    expect(rows[2]!.slice(1, 4)).toEqual(['character varying(200)', 'yes', 'unique']);
    expect(table!.querySelector('caption')?.textContent).toBe('Columns of public.customers');

    // The filter narrows to one table; an unknown one shows the API's message.
    const filtered = await admin.page(`/ui/instances/${ids.instanceId}?schema=public&table=customers`);
    expect(filtered.doc.querySelectorAll('details')).toHaveLength(1);
    expect(valueOf(filtered, '#table-filter')).toBe('customers');
    const unknown = await admin.page(`/ui/instances/${ids.instanceId}?table=nope`);
    expect(unknown.status).toBe(200);
    expect(text(unknown, '.error-summary')).toContain('table nope does not exist');
  });

  it('edits an instance: a blank password keeps the stored one, moving it needs the password again', async () => {
    const form = await admin.page(`/ui/instances/${ids.instanceId}/edit`);
    expect(valueOf(form, '#edit-host')).toBe('127.0.0.1');
    expect(valueOf(form, '#edit-password')).toBeUndefined();
    const fields = Object.fromEntries(
      ['name', 'host', 'port', 'databaseName', 'username', 'sslMode', 'role', 'priority'].map((n) => [
        n,
        form.doc.querySelector(`[name="${n}"]`)?.getAttribute('value') ??
          form.doc.querySelector(`select[name="${n}"] option[selected]`)?.getAttribute('value') ??
          '',
      ]),
    );
    const moved = await admin.submit(`/ui/instances/${ids.instanceId}/edit`, { ...fields, host: 'localhost', password: '' });
    expect(moved.status).toBe(422);
    expect(text(moved, '#edit-host-error')).toContain('send password again');
    expect(valueOf(moved, '#edit-host')).toBe('localhost');
    const saved = await admin.submit(`/ui/instances/${ids.instanceId}/edit`, { ...fields, priority: '5', password: '' });
    expect(saved.path).toBe(`/ui/instances/${ids.instanceId}`);
    expect(saved.text).toContain('saved');
    const after = await apiJson<Instance>(stack, `/v1/database-instances/${ids.instanceId}`);
    expect(after.priority).toBe(5);
    expect(after.hasPassword).toBe(true);
  });

  it('adds a SharePoint connection, tests it and discovers sites, lists and columns', async () => {
    const emulator = stack.emulator!;
    const good = {
      appId: ids.appId,
      name: 'crm-sharepoint',
      tenantId: DEFAULT_TENANT_ID,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      graphBaseUrl: emulator.graphBaseUrl,
      authorityHost: emulator.authorityHost,
      caCertificatePem: emulator.caCertificatePem,
      ruPerMinute: '600000',
      ruPerDay: '',
      bulkShare: '',
    };
    const list = await admin.page('/ui/connections');
    expect(list.actions).toContain('/ui/connections');
    expect(list.doc.querySelector('#conn-secret')?.getAttribute('type')).toBe('password');

    const bad = await admin.submit('/ui/connections', { ...good, clientId: 'not-a-guid' });
    expect(bad.status).toBe(400);
    expect(text(bad, '#conn-client-error')).toBe('must be the application (client) id, a GUID');
    expect(valueOf(bad, '#conn-client')).toBe('not-a-guid');
    expect(valueOf(bad, '#conn-tenant')).toBe(DEFAULT_TENANT_ID);
    expect(valueOf(bad, '#conn-secret')).toBeUndefined();
    expect((await apiJson<Page<unknown>>(stack, '/v1/sharepoint-connections')).items).toHaveLength(0);

    const added = await admin.submit('/ui/connections', good);
    expect(added.path).toMatch(/^\/ui\/connections\/[0-9a-f-]{36}$/);
    ids.connectionId = added.path.split('/').pop()!;
    expect(added.text).toContain('secret stored');
    expect(added.text).toContain('600,000');

    const tested = await admin.submit(`/ui/connections/${ids.connectionId}/test`);
    expect(tested.doc.querySelector('[role="status"]')?.textContent).toContain('Connection test: ok');
    expect(text(tested, 'dl.facts .status')).toContain('healthy');
    expect(tested.text).toContain('Spent in the last minute');

    // Discovery: sites, then (after provisioning a list into the site) its lists and the list's columns.
    const searched = await admin.page(`/ui/connections/${ids.connectionId}?search=syncbridge`);
    const siteHref = searched.doc
      .querySelectorAll('table a')
      .find((a) => a.textContent.trim() === 'SyncBridge')
      ?.getAttribute('href');
    expect(siteHref).toMatch(new RegExp(`^/ui/connections/${ids.connectionId}/sites/`));
    ids.siteId = decodeURIComponent(siteHref!.split('/sites/')[1]!);
    const { listId } = await defineSync(
      stack,
      { appId: ids.appId, databaseId: ids.databaseId, instanceId: ids.instanceId, connectionId: ids.connectionId, siteId: ids.siteId },
      { name: 'customers', table: 'customers', keyStrategy: 'pk', keyColumns: ['id'], listName: 'Customers from UI' },
    );
    ids.listId = listId;
    const site = await admin.page(siteHref!);
    expect(site.status).toBe(200);
    const listHref = site.link('Customers from UI');
    expect(listHref).toBe(`${siteHref}/lists/${encodeURIComponent(listId)}`);
    const columnsPage = await admin.page(listHref!);
    expect(columnsPage.title).toBe('Columns of a list');
    const expected = await apiJson<Page<{ name: string; hidden: boolean }>>(
      stack,
      `/v1/sharepoint-connections/${ids.connectionId}/sites/${encodeURIComponent(ids.siteId)}/lists/${encodeURIComponent(listId)}/columns`,
    );
    const shownNames = columnsPage.doc.querySelectorAll('tbody tr').map((r) => r.querySelectorAll('td')[1]!.textContent.trim());
    expect(shownNames).toEqual(expected.items.filter((c) => !c.hidden).map((c) => c.name));
    expect(shownNames.length).toBeGreaterThan(2);
  });

  it('creates an API key and shows it once, then revokes it', async () => {
    const keys = await admin.page('/ui/api-keys');
    expect(keys.title).toBe('API keys');
    const blank = await admin.submit('/ui/api-keys', { name: '', role: 'operator' });
    expect(blank.status).toBe(400);
    expect(text(blank, '#key-name-error')).not.toBe('');

    const created = await admin.submit('/ui/api-keys', { name: 'reporting job', role: 'operator' });
    expect(created.status).toBe(200);
    expect(created.path).toBe('/ui/api-keys');
    const key = text(created, '#new-key-value');
    expect(key).toMatch(/^sbk_/);
    expect(created.text).toContain('it is not shown again');
    expect(created.headers.getSetCookie().join(';')).not.toContain(key);
    expect((await stack.api('/v1/me', { key })).status).toBe(200);
    // Never again: not on the next load of the page.
    const again = await admin.page('/ui/api-keys');
    expect(again.html).not.toContain(key);
    expect(again.text).toContain('reporting job');

    const row = await apiJson<Page<{ id: string; name: string; revokedAt: string | null }>>(stack, '/v1/api-keys');
    const id = row.items.find((k) => k.name === 'reporting job')!.id;
    expect(again.actions).toContain(`/ui/api-keys/${id}/revoke`);
    const revoked = await admin.submit(`/ui/api-keys/${id}/revoke`);
    expect(revoked.path).toBe('/ui/api-keys');
    expect(revoked.text).toContain('Key revoked');
    expect(revoked.actions).not.toContain(`/ui/api-keys/${id}/revoke`);
    expect((await stack.api('/v1/me', { key })).status).toBe(401);
  });

  it('shows a viewer the same pages without actions, refuses API keys, and a forged add creates nothing', async () => {
    const pages = [
      '/ui/instances',
      `/ui/instances/${ids.instanceId}`,
      `/ui/instances/${ids.instanceId}?browse=1`,
      '/ui/connections',
      `/ui/connections/${ids.connectionId}?search=syncbridge`,
      `/ui/connections/${ids.connectionId}/sites/${encodeURIComponent(ids.siteId)}`,
      `/ui/connections/${ids.connectionId}/sites/${encodeURIComponent(ids.siteId)}/lists/${encodeURIComponent(ids.listId)}`,
    ];
    for (const path of pages) {
      const p = await viewer.page(path);
      expect(p.status, path).toBe(200);
      expect(p.actions, path).toEqual(['/ui/sign-out']);
      expect(
        p.doc.querySelectorAll('form').every((f) => f.getAttribute('method') === 'get' || f.getAttribute('action') === '/ui/sign-out'),
        path,
      ).toBe(true);
      expect(p.doc.querySelector('input[type="password"]'), path).toBeNull();
      expect(p.link(/^Edit/), path).toBeUndefined();
    }
    expect((await viewer.page(`/ui/instances/${ids.instanceId}`)).text).toContain('healthy');
    expect((await viewer.page('/ui/api-keys')).status).toBe(403);
    expect((await viewer.page(`/ui/instances/${ids.instanceId}/edit`)).status).toBe(403);

    // Forged: the API refuses (its 403 shown), and nothing is created.
    await viewer.page('/ui/instances');
    const forged = await viewer.submit('/ui/instances', { ...instanceForm(), databaseId: ids.databaseId, name: 'forged', role: 'replica' });
    expect(forged.status).toBe(403);
    expect(text(forged, '#error-summary')).toContain('needs the admin role');
    expect(forged.actions).toEqual(['/ui/sign-out']);
    const forgedNewApp = await viewer.submit('/ui/instances', { ...instanceForm(), appName: 'forged-app' });
    expect(forgedNewApp.status).toBe(403);
    expect((await apiJson<Page<Instance>>(stack, '/v1/database-instances')).items.map((i) => i.name)).toEqual(['primary']);
    expect((await apiJson<Page<{ name: string }>>(stack, '/v1/apps')).items.map((a) => a.name)).toEqual(['crm']);
    expect((await viewer.submit(`/ui/instances/${ids.instanceId}/delete`)).text).toContain('Not deleted');
    expect((await viewer.submit('/ui/api-keys', { name: 'forged', role: 'admin' })).status).toBe(403);
    expect((await apiJson<Page<{ name: string }>>(stack, '/v1/api-keys')).items.map((k) => k.name)).not.toContain('forged');
  });

  it('shows an operator the tests but not the setup changes', async () => {
    const operator = new RecordingClient(stack);
    await operator.signIn(await createKey(stack, 'operator'));
    expect((await operator.page(`/ui/instances/${ids.instanceId}`)).actions).toEqual(['/ui/sign-out', `/ui/instances/${ids.instanceId}/test`]);
    expect((await operator.page(`/ui/connections/${ids.connectionId}`)).actions).toEqual(['/ui/sign-out', `/ui/connections/${ids.connectionId}/test`]);
    expect((await operator.page('/ui/instances')).actions).toEqual(['/ui/sign-out']);
    expect((await operator.submit(`/ui/connections/${ids.connectionId}/test`)).text).toContain('Connection test: ok');
    expect((await operator.page('/ui/api-keys')).status).toBe(403);
  });

  it('never puts the password or the client secret in a page', () => {
    const pages = [...admin.seen, ...viewer.seen];
    expect(pages.length).toBeGreaterThan(20);
    for (const p of pages) {
      expect(p.html, p.path).not.toContain(password);
      expect(p.html, p.path).not.toContain(DEFAULT_CLIENT_SECRET);
    }
  });
});
