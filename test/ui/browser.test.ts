import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  inPage,
  keyboardChoose,
  keyboardSubmit,
  keyboardType,
  launchBrowser,
  openPage,
  screenshot,
  tabTo,
  type PageWatch,
} from '../harness/browser.ts';
import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, listItems, registerSourceAndConnection, waitForRun, type SyncSetup } from '../harness/sync.ts';

describe('web UI in Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  /** A viewer key, made through the UI. */
  let viewerKey = '';
  const shared = { definitionId: '' };

  /** Every page a test visits is checked: axe finds no WCAG 2.1 AA violation, the page reports no CSP violation or script error. */
  async function checkPage(name: string): Promise<void> {
    expect(await axeViolations(page), `axe on ${name} (${page.url()})`).toEqual([]);
    expect(watch.problems, `problems on ${name}`).toEqual([]);
    await screenshot(page, name);
  }

  /** Opens a page of the UI and checks it. */
  async function visit(path: string, name: string): Promise<void> {
    const res = await page.goto(`${stack.baseUrl}${path}`);
    expect(res?.status(), `${path}: ${await res?.text()}`).toBe(200);
    await checkPage(name);
  }

  /** Presses the button with this label (the first one) and waits for the page it leads to. */
  async function press(label: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(`::-p-xpath(//button[normalize-space()=${JSON.stringify(label)}])`)]);
  }

  async function signIn(key: string): Promise<void> {
    await page.goto(`${stack.baseUrl}/ui/sign-in`);
    await page.type('#api-key', key);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe('/ui');
  }

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_ui_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table tasks (id integer primary key, title text not null, done boolean not null default false, updated_at timestamptz not null default now())`;
    await sql`insert into tasks (id, title) select g, 'task ' || g from generate_series(1, 8) g`;
    await sql`create function touch() returns trigger language plpgsql as $$ begin new.updated_at := clock_timestamp(); return new; end $$`;
    await sql`create trigger tasks_touch before update on tasks for each row execute function touch()`;
    reg = await registerSourceAndConnection(stack, source, 'ui');
    browser = await launchBrowser();
    ({ page, watch } = await openPage(browser));
    // data-confirm asks before destructive actions: the test answers yes.
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await sql?.end();
    await stack?.close();
  });

  it('signs in with the keyboard alone, and out again', async () => {
    await page.goto(`${stack.baseUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    await checkPage('sign-in');
    // Keyboard only: the skip link comes first and jumps over the header to the form.
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement?.textContent?.trim()')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement?.id')).toBe('api-key');
    await page.keyboard.type('sbk_not_a_key');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    // The error is announced and takes focus.
    expect(await inPage(page, "document.activeElement?.getAttribute('role')")).toBe('alert');
    await checkPage('sign-in-error');
    await page.type('#api-key', stack.adminKey);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe('/ui');
    await checkPage('dashboard-empty');
    const cookies = await browser.cookies();
    const session = cookies.find((c) => c.name === 'sb_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Scripts cannot read the session cookie.
    expect(await inPage<string>(page, 'document.cookie')).not.toContain('sb_session');
    await Promise.all([page.waitForNavigation(), page.click('.who button')]);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    await page.goto(`${stack.baseUrl}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
  });

  it('shows databases, SharePoint connections and API keys, tests a connection, and shows a new key once', async () => {
    await signIn(stack.adminKey);
    await visit('/ui/instances', 'instances');
    await visit(`/ui/instances/${reg.instanceId}?browse=1`, 'instance-schema');
    expect(await inPage<string>(page, 'document.body.innerText')).toContain('tasks');
    await press('Test connection');
    expect(await inPage<string>(page, "document.querySelector('[role=status]')?.innerText ?? ''")).toMatch(/ok/i);
    await checkPage('instance-tested');
    await visit('/ui/connections', 'connections');
    await visit(`/ui/connections/${reg.connectionId}?search=syncbridge`, 'connection');
    await press('Test connection');
    expect(await inPage<string>(page, "document.querySelector('[role=status]')?.innerText ?? ''")).toMatch(/ok/i);
    await visit('/ui/api-keys', 'api-keys');
    await page.type('#key-name', 'ui test viewer');
    await page.select('#key-role', 'viewer');
    await press('Create key');
    await checkPage('api-key-created');
    const shown = await inPage<string>(page, "document.querySelector('.key')?.textContent?.trim() ?? ''");
    expect(shown).toMatch(/^sbk_/);
    viewerKey = shown;
    await page.reload();
    expect(await inPage<string>(page, 'document.body.innerHTML')).not.toContain(shown);
  });

  /** Waits until the run page (live, through htmx) shows the run ended, and returns its status. */
  async function runEnds(): Promise<string> {
    expect(new URL(page.url()).pathname).toMatch(/^\/ui\/runs\/[0-9a-f-]{36}$/);
    const ended = ['succeeded', 'failed', 'cancelled'];
    const read = "document.readyState === 'complete' ? (document.querySelector('#run-progress .status')?.textContent?.trim() ?? '') : ''";
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      // The page reloads itself when the status changes (its fragment asks for it): a read may meet a page going away.
      const status = await inPage<string>(page, read).catch(() => '');
      if (ended.includes(status)) {
        // The reload that brings the finished page's counts and buttons.
        const again = await page
          .waitForFunction(`(${read}) && !document.querySelector('#run-progress[data-active="true"]')`, { timeout: 10_000 })
          .then(() => inPage<string>(page, read))
          .catch(() => '');
        if (ended.includes(again)) return again;
      }
    }
    throw new Error(`the run page at ${page.url()} did not show the run ending`);
  }

  const countsCell = () => inPage<string>(page, 'document.body.innerText');

  it('builds a two-way sync with the wizard, runs it, sees an edit arrive, resolves a conflict, and signs out', async () => {
    await signIn(stack.adminKey);
    // The wizard, with the keyboard alone: every control is reached with Tab, chosen with the arrow keys, typed into, and sent with Enter.
    await visit('/ui/definitions/new', 'wizard-1-source');
    await keyboardChoose(page, '#wiz-instance', reg.instanceId);
    await keyboardSubmit(page, 'Continue');
    await checkPage('wizard-1-table');
    await keyboardChoose(page, '#wiz-table', JSON.stringify(['public', 'tasks']));
    await keyboardType(page, '#wiz-name', 'tasks');
    await keyboardSubmit(page, 'Next: keys and watermark');
    await checkPage('wizard-2-keys');
    // Proposed from the table: its primary key and its timestamp column.
    expect(await inPage<string>(page, "document.querySelector('#wiz-key-0')?.value ?? document.querySelector('[name=keyColumns]:checked')?.value")).toBe('id');
    expect(await inPage<string>(page, "document.querySelector('#wiz-cursor-column').value")).toBe('updated_at');
    await keyboardChoose(page, '#wiz-direction', 'both');
    await keyboardSubmit(page, 'Create the definition and continue');
    expect(new URL(page.url()).pathname).toMatch(/\/mapping$/);
    const definitionId = new URL(page.url()).pathname.split('/')[4]!;
    await checkPage('wizard-3-mapping');
    await keyboardSubmit(page, 'Save the mapping and continue');
    await checkPage('wizard-4-targets');
    await keyboardChoose(page, '#wiz-find-connection', reg.connectionId);
    await keyboardType(page, '#wiz-site-search', 'syncbridge');
    await keyboardSubmit(page, 'Search sites');
    await keyboardType(page, '#wiz-list-name', 'Tasks');
    await keyboardSubmit(page, 'Add the list');
    await checkPage('wizard-4-target-added');
    await tabTo(page, 'a[href$="/provision"].button');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await checkPage('wizard-5-provision');
    await press('Provision the lists');
    // Live: the fragment polls the provisioning run until the lists exist, then offers the first push.
    await page.waitForSelector('::-p-xpath(//button[normalize-space()="Run the first push"])', { timeout: 90_000 });
    await press('Run the first push');
    await checkPage('run-live');
    expect(await runEnds()).toBe('succeeded');
    await checkPage('run-finished');
    expect(await countsCell()).toMatch(/created\s*8/);
    // Back on the wizard's last step: turn the schedule on (a new definition starts off).
    await visit(`/ui/definitions/new/${definitionId}/provision`, 'wizard-5-schedule');
    await inPage(page, "document.querySelector('#wiz-interval').value = ''");
    await page.type('#wiz-interval', '600');
    await press('Turn the schedule on');
    expect(new URL(page.url()).pathname).toBe(`/ui/definitions/${definitionId}`);
    expect(await apiJson<{ enabled: boolean; scheduleIntervalSeconds: number }>(stack, `/v1/sync-definitions/${definitionId}`)).toMatchObject({
      enabled: true,
      scheduleIntervalSeconds: 600,
    });
    const [target] = (await apiJson<{ items: Array<{ listId: string; id: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`)).items;
    expect((await listItems(stack, target!.listId)).length).toBe(8);

    // A row edited in the table: the next run (run now, from the definition page) updates one item.
    await sql`update tasks set title = 'edited in the table' where id = 3`;
    await visit(`/ui/definitions/${definitionId}`, 'definition');
    await press('Run push now');
    expect(await runEnds()).toBe('succeeded');
    expect(await countsCell()).toMatch(/updated\s*1/);
    await checkPage('run-incremental');
    expect(Object.values((await listItems(stack, target!.listId)).find((i) => i.fields.SyncBridgeKey === '3')!.fields)).toContain('edited in the table');

    // A conflict: manual policy (set on the definition page), then the same row edited on both sides before ingress runs.
    await visit(`/ui/definitions/${definitionId}`, 'definition-settings');
    await page.select('#settings-conflict', 'manual');
    await press('Save settings');
    expect((await apiJson<{ conflictPolicy: string }>(stack, `/v1/sync-definitions/${definitionId}`)).conflictPolicy).toBe('manual');
    const item5 = (await listItems(stack, target!.listId)).find((i) => i.fields.SyncBridgeKey === '5')!;
    const titleColumn = Object.keys(item5.fields).find((k) => item5.fields[k] === 'task 5')!;
    await sql`update tasks set title = 'table says 5' where id = 5`;
    const edit = await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(target!.listId)}/items/${item5.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { [titleColumn]: 'list says 5' } }),
    });
    expect(edit.status).toBe(200);
    const ticket = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202);
    expect((await waitForRun(stack, definitionId, ticket.workflowId)).counts).toMatchObject({ conflicts: 1 });
    await visit('/ui/conflicts', 'conflicts');
    await Promise.all([page.waitForNavigation(), page.click('main table a[href^="/ui/conflicts/"]')]);
    await checkPage('conflict');
    const sideBySide = await inPage<string>(page, 'document.querySelector("main").innerText');
    expect(sideBySide).toContain('table says 5');
    expect(sideBySide).toContain('list says 5');
    await press("Keep the list's version");
    await checkPage('conflict-resolved');
    // Resolving asks for an ingress run that writes the kept version to the table.
    await expect
      .poll(async () => (await sql<Array<{ title: string }>>`select title from tasks where id = 5`)[0]!.title, { timeout: 60_000 })
      .toBe('list says 5');

    await visit('/ui', 'dashboard');
    expect(await inPage<string>(page, 'document.querySelector("main").innerText')).toContain('tasks');
    await visit(`/ui/runs?definitionId=${definitionId}`, 'runs');
    await visit(`/ui/definitions/${definitionId}/drift`, 'drift-reports');
    await visit(`/ui/definitions/${definitionId}/ledger`, 'ledger');
    await visit(`/ui/definitions/${definitionId}/quarantine`, 'quarantine');
    await visit(`/ui/definitions/${definitionId}/lists/${target!.id}`, 'list-edit');
    await visit(`/ui/runbooks?definitionId=${definitionId}`, 'runbooks');
    await press('Sign out');
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    shared.definitionId = definitionId;
  });

  it('shows a viewer everything and lets it change nothing', async () => {
    expect(viewerKey).toMatch(/^sbk_/);
    await signIn(viewerKey);
    const runsBefore = (await apiJson<{ items: unknown[] }>(stack, `/v1/sync-runs?definitionId=${shared.definitionId}&limit=200`)).items.length;
    for (const [path, name] of [
      ['/ui', 'viewer-dashboard'],
      [`/ui/definitions/${shared.definitionId}`, 'viewer-definition'],
      ['/ui/conflicts', 'viewer-conflicts'],
      [`/ui/runs?definitionId=${shared.definitionId}`, 'viewer-runs'],
      ['/ui/instances', 'viewer-instances'],
      ['/ui/connections', 'viewer-connections'],
    ] as const) {
      await visit(path, name);
      // The only form that posts is sign-out.
      expect(await inPage<string[]>(page, "[...document.querySelectorAll('form[method=post]')].map((f) => f.getAttribute('action'))"), path).toEqual([
        '/ui/sign-out',
      ]);
    }
    // A forged "run now" with the viewer's own valid session and CSRF token: the API refuses it.
    const forged = await inPage<{ status: number; text: string }>(
      page,
      `fetch('/ui/definitions/${shared.definitionId}/run', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '_csrf=' + encodeURIComponent(document.querySelector('meta[name=csrf-token]').content) }).then(async (r) => ({ status: r.status, text: await r.text() }))`,
    );
    expect(forged.status, forged.text).toBe(403);
    expect(forged.text).toContain('operator');
    expect((await apiJson<{ items: unknown[] }>(stack, `/v1/sync-runs?definitionId=${shared.definitionId}&limit=200`)).items.length).toBe(runsBefore);
    const keys = await page.goto(`${stack.baseUrl}/ui/api-keys`);
    expect(keys?.status()).toBe(403);
  });
});
