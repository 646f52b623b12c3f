import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, listItems, registerSourceAndConnection, type SyncSetup } from '../harness/sync.ts';
import { formFields, UiClient, type UiPage } from '../harness/ui.ts';

/*
 * The definition wizard and the definition page as a user drives them: every step is a form
 * sent as a browser sends it (with the values the page rendered), and what it did is checked
 * through the API and in the SharePoint emulator.
 */

const selected = (p: UiPage, id: string) =>
  p.doc
    .querySelector(`#${id}`)
    ?.querySelectorAll('option')
    .find((o) => o.hasAttribute('selected'))
    ?.getAttribute('value');

/** The POST forms of a page other than signing out. */
const changes = (p: UiPage) => p.actions.filter((a) => a !== '/ui/sign-out');

interface Definition {
  id: string;
  direction: string;
  conflictPolicy: string;
  enabled: boolean;
  scheduleIntervalSeconds: number | null;
  targetStrategy: string;
}

describe('web UI: the definition wizard and the definition page', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let ui: UiClient;
  let definitionId: string;

  /** Polls a run through the API until it has finished (a run not recorded yet is waited for too). */
  const finished = async (runId: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await stack.api(`/v1/sync-runs/${runId}`);
      const run = res.ok ? ((await res.json()) as { status: string; errors: unknown[] }) : (await res.arrayBuffer(), null);
      if (run && !['queued', 'running', 'awaiting_approval'].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const definition = () => apiJson<Definition>(stack, `/v1/sync-definitions/${definitionId}`);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_ui_defs');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table orders (id integer primary key, title text not null, region text not null, note text, updated_at timestamptz not null default now())`;
    await sql`insert into orders (id, title, region, note) select g, 'order ' || g, case when g <= 5 then 'EU' else 'US' end, 'n' || g from generate_series(1, 8) g`;
    reg = await registerSourceAndConnection(stack, source);
    ui = new UiClient(stack);
    await ui.signIn();
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('goes through the wizard: table, keys, mapping, sharded targets, provisioning and the first push', async () => {
    // Step 1: the only app is chosen already; then the instance, then a table of its live schema.
    let p = await ui.page('/ui/definitions/new');
    expect(p.status).toBe(200);
    expect(p.doc.querySelector('ol.steps li[aria-current="step"]')?.textContent).toContain('Source');
    expect(selected(p, 'wiz-app')).toBe(reg.appId);
    p = await ui.submit('/ui/definitions/new', formFields(p, '/ui/definitions/new'));
    expect(p.doc.querySelectorAll('#wiz-instance option').map((o) => o.getAttribute('value'))).toContain(reg.instanceId);
    p = await ui.submit('/ui/definitions/new', { ...formFields(p, '/ui/definitions/new'), instanceId: reg.instanceId });
    const tables = p.doc.querySelectorAll('#wiz-table option').map((o) => o.getAttribute('value'));
    expect(tables).toContain(JSON.stringify(['public', 'orders']));
    p = await ui.submit('/ui/definitions/new', { ...formFields(p, '/ui/definitions/new'), table: JSON.stringify(['public', 'orders']), name: 'Orders' });

    // Step 2: the primary key and the updated_at column are proposed.
    expect(p.path).toMatch(/^\/ui\/definitions\/new\/keys\?/);
    expect(p.doc.querySelector('ol.steps li[aria-current="step"]')?.textContent).toContain('Keys and watermark');
    const keys = formFields(p, '/ui/definitions/new/keys');
    expect(keys).toMatchObject({
      name: 'Orders',
      keyStrategy: 'pk',
      keyColumns: 'id',
      cursorStrategy: 'updated_at',
      cursorColumn: 'updated_at',
      direction: 'push',
    });
    // Every change detection the API offers, logical replication included.
    const strategies = p.doc.querySelectorAll('#wiz-cursor-strategy option').map((o) => o.getAttribute('value'));
    expect(strategies).toEqual(['updated_at', 'full_scan', 'logical_replication']);

    // A watermark the API refuses (text): 422, its message on the field, the user's choices kept.
    const refused = await ui.submit('/ui/definitions/new/keys', { ...keys, name: 'Orders (EU split)', cursorColumn: 'title', targetStrategy: 'conditional' });
    expect(refused.status).toBe(422);
    const fieldMessage = refused.doc.querySelector('#wiz-cursor-column-error')?.textContent ?? '';
    expect(fieldMessage).toMatch(/title/);
    expect(refused.doc.querySelector('.error-summary a[href="#wiz-cursor-column"]')).not.toBeNull();
    expect(selected(refused, 'wiz-cursor-column')).toBe('title');
    expect(selected(refused, 'wiz-target-strategy')).toBe('conditional');
    expect(refused.doc.querySelector('#wiz-name')?.getAttribute('value')).toBe('Orders (EU split)');
    expect(refused.doc.querySelector('#wiz-key-0')?.hasAttribute('checked')).toBe(true);
    expect((await apiJson<{ items: unknown[] }>(stack, '/v1/sync-definitions')).items).toHaveLength(0);

    // Fixed: the definition is created and the wizard moves to its mapping.
    p = await ui.submit('/ui/definitions/new/keys', { ...formFields(refused, '/ui/definitions/new/keys'), cursorColumn: 'updated_at' });
    const mappingPath = /^\/ui\/definitions\/new\/([0-9a-f-]{36})\/mapping$/.exec(p.path);
    expect(mappingPath, p.text.slice(0, 400)).not.toBeNull();
    definitionId = mappingPath![1]!;
    expect(await definition()).toMatchObject({ targetStrategy: 'conditional', direction: 'push' });

    // Step 3: the proposal as an editable table; a bad list column name is refused on its row, then fixed; `note` is left out.
    const action = `/ui/definitions/new/${definitionId}/mapping`;
    const mapping = formFields(p, action);
    const rowOf = (column: string) =>
      Object.entries(mapping)
        .find(([k, v]) => /^m\d+\.source$/.test(k) && v === column)![0]
        .split('.')[0]!;
    const [title, note] = [rowOf('title'), rowOf('note')];
    expect(mapping[`${title}.include`]).toBe('on');
    const bad = await ui.submit(action, { ...mapping, [`${title}.target`]: 'not a name!' });
    expect(bad.status).toBe(400);
    expect(bad.doc.querySelector(`#${title}-error`)?.textContent).toMatch(/internal name|letter/);
    expect(bad.doc.querySelector(`#${title}-target`)?.getAttribute('value')).toBe('not a name!');
    expect(bad.doc.querySelector(`.error-summary a[href="#${title}-target"]`)?.textContent).toMatch(/^title \(targetColumn\): /);
    const edited = { ...formFields(bad, action), [`${title}.target`]: 'OrderTitle' };
    delete edited[`${note}.include`];
    p = await ui.submit(action, edited);
    expect(p.path).toBe(`/ui/definitions/new/${definitionId}/targets`);
    const saved = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings`);
    expect(saved.items.map((m) => m.sourceColumn).sort()).toEqual(['id', 'region', 'title', 'updated_at']);
    expect(saved.items.find((m) => m.sourceColumn === 'title')?.targetColumn).toBe('OrderTitle');

    // Step 4: the only connection is chosen and its sites listed; a ruled list for EU rows, then the default list.
    const targetsAction = `/ui/definitions/new/${definitionId}/targets`;
    expect(p.doc.querySelectorAll('#wiz-site option').map((o) => o.getAttribute('value'))).toContain(reg.siteId);
    p = await ui.submit(targetsAction, {
      ...formFields(p, targetsAction),
      siteId: reg.siteId,
      listDisplayName: 'Orders EU',
      isDefault: [],
      ruleColumn: 'region',
      ruleOp: 'eq',
      ruleValue: 'EU',
      priority: '10',
    });
    expect(p.path).toMatch(new RegExp(`^${targetsAction}`));
    expect(p.text).toContain('region = "EU"');
    const withRule = {
      ...formFields(p, targetsAction),
      siteId: reg.siteId,
      listDisplayName: 'Orders other',
      isDefault: 'on',
      ruleColumn: 'region',
      ruleValue: 'US',
    };
    // The default list with a rule: the API's message, on the rule.
    const noRule = await ui.submit(targetsAction, withRule);
    expect(noRule.status).toBe(400);
    expect(noRule.doc.querySelector('#wiz-rule-error')?.textContent).toMatch(/default target/);
    p = await ui.submit(targetsAction, { ...formFields(noRule, targetsAction), ruleColumn: '' });
    expect(p.status, p.text.slice(0, 1500)).toBe(200);
    const targets = await apiJson<{ items: Array<{ id: string; listDisplayName: string; routingRule: unknown; isDefault: boolean; listId: string | null }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
    );
    expect(targets.items.map((t) => [t.listDisplayName, t.routingRule, t.isDefault])).toEqual([
      ['Orders EU', { column: 'region', op: 'eq', value: 'EU' }, false],
      ['Orders other', null, true],
    ]);

    // Step 5: provision, follow it, then the first push; its run page is where the wizard ends.
    p = await ui.page(p.link('Next: provision and first run')!);
    expect(p.doc.querySelector('ol.steps li[aria-current="step"]')?.textContent).toContain('Provision and first run');
    expect(p.link('Open the definition')).toBe(`/ui/definitions/${definitionId}`);
    p = await ui.submit(`/ui/definitions/new/${definitionId}/provision`);
    const provisionRunId = new URL(p.path, stack.baseUrl).searchParams.get('runId')!;
    expect(p.link('Follow the provisioning run')).toBe(`/ui/runs/${provisionRunId}`);
    expect((await finished(provisionRunId)).status).toBe('succeeded');
    // The part htmx polls while provisioning runs: the same state, without the page frame.
    const fragment = await ui.raw(`/ui/definitions/new/${definitionId}/provision/state?runId=${provisionRunId}`);
    expect(fragment.status).toBe(200);
    expect(await fragment.text()).toMatch(/^<div id="provision-state"[^>]*>.*Run the first push/s);
    p = await ui.page(p.path);
    expect(p.buttons).toContain('Run the first push');
    p = await ui.submit(`/ui/definitions/new/${definitionId}/run`);
    const runId = /^\/ui\/runs\/([0-9a-f-]{36})$/.exec(p.path)?.[1];
    expect(runId).toBeDefined();
    const run = await finished(runId!);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');

    const lists = await apiJson<{ items: Array<{ listDisplayName: string; listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`);
    const listOf = (name: string) => lists.items.find((t) => t.listDisplayName === name)!.listId;
    const eu = await listItems(stack, listOf('Orders EU'));
    const other = await listItems(stack, listOf('Orders other'));
    expect(eu.map((i) => i.fields['OrderTitle']).sort()).toEqual(['order 1', 'order 2', 'order 3', 'order 4', 'order 5']);
    expect(other.map((i) => i.fields['OrderTitle']).sort()).toEqual(['order 6', 'order 7', 'order 8']);
    expect(other[0]!.fields).not.toHaveProperty('note');
  });

  it('shows the definition and changes its settings and schedules through the API', async () => {
    const path = `/ui/definitions/${definitionId}`;
    let p = await ui.page(path);
    expect(p.status).toBe(200);
    expect(p.title).toBe('Orders (EU split)');
    expect(p.text).toContain('public.orders');
    expect(p.text).toContain('region = "EU"');
    const about = (text: string) =>
      p.doc
        .querySelectorAll('nav[aria-label="About this definition"] a')
        .find((a) => a.textContent.trim() === text)
        ?.getAttribute('href');
    expect(about('Runs')).toBe(`/ui/runs?definitionId=${definitionId}`);
    expect(about('Conflicts')).toBe(`/ui/definitions/${definitionId}/conflicts`);
    expect(about('Drift reports')).toBe(`/ui/definitions/${definitionId}/drift`);
    expect(about('Runbooks')).toBe(`/ui/runbooks?definitionId=${definitionId}`);
    expect(p.text).toMatch(/Ledger entries\s*8/);
    expect(p.actions).toEqual(expect.arrayContaining([`${path}/run`, `${path}/provision`, `${path}/settings`, `${path}/delete`]));

    // An interval the API refuses: its message on the field, the value kept.
    const settings = formFields(p, `${path}/settings`);
    expect(settings).toMatchObject({ direction: 'push', conflictPolicy: 'source_wins', scheduleIntervalSeconds: '' });
    const refused = await ui.submit(`${path}/settings`, { ...settings, scheduleIntervalSeconds: '5' });
    expect(refused.status).toBe(400);
    expect(refused.doc.querySelector('#settings-interval-error')?.textContent).toMatch(/10/);
    expect(refused.doc.querySelector('#settings-interval')?.getAttribute('value')).toBe('5');

    // The direction toggle and a push schedule, saved.
    p = await ui.submit(`${path}/settings`, { ...settings, direction: 'both', scheduleIntervalSeconds: '3600' });
    expect(p.path).toBe(path);
    expect(p.text).toContain('Settings saved');
    expect(await definition()).toMatchObject({ direction: 'both', scheduleIntervalSeconds: 3600 });
    expect(selected(p, 'settings-direction')).toBe('both');

    // Pause and resume the push schedule.
    expect(p.actions).toContain(`${path}/schedules/push/pause`);
    p = await ui.submit(`${path}/schedules/push/pause`);
    expect(p.text).toContain('push schedule is paused');
    const schedules = () => apiJson<{ items: Array<{ kind: string; paused: boolean }> }>(stack, `/v1/sync-definitions/${definitionId}/schedules`);
    expect((await schedules()).items).toEqual([expect.objectContaining({ kind: 'push', paused: true })]);
    expect(p.actions).toContain(`${path}/schedules/push/resume`);
    p = await ui.submit(`${path}/schedules/push/resume`);
    expect((await schedules()).items).toEqual([expect.objectContaining({ kind: 'push', paused: false })]);

    // The ledger page lists the rows, and searches by key.
    const ledger = await ui.page(`${path}/ledger`);
    expect(ledger.doc.querySelectorAll('tbody tr')).toHaveLength(8);
    const found = await ui.page(`${path}/ledger?key=${encodeURIComponent('7')}`);
    expect(found.doc.querySelectorAll('tbody tr').map((r) => r.querySelector('td')?.textContent)).toEqual([expect.stringContaining('7')]);
    const quarantine = await ui.page(`${path}/quarantine`);
    expect(quarantine.status).toBe(200);
    expect(quarantine.text).toContain('Nothing in quarantine');
  });

  it("edits a list's rule from the definition page (the API's message on a bad one), and removes a list", async () => {
    const path = `/ui/definitions/${definitionId}`;
    let p = await ui.page(path);
    const targets = () =>
      apiJson<{ items: Array<{ id: string; listDisplayName: string; routingRule: unknown; isDefault: boolean }> }>(
        stack,
        `/v1/sync-definitions/${definitionId}/targets`,
      );
    const eu = (await targets()).items.find((t) => t.listDisplayName === 'Orders EU')!;
    const edit = p.link('Edit Orders EU');
    expect(edit).toBe(`${path}/lists/${eu.id}`);
    expect(p.link('Add a list')).toBe(`/ui/definitions/new/${definitionId}/targets`);
    p = await ui.page(edit!);
    expect(p.status).toBe(200);
    const fields = formFields(p, edit!);
    expect(fields).toMatchObject({ listDisplayName: 'Orders EU', ruleColumn: 'region', ruleOp: 'eq', ruleValue: 'EU' });

    // A default list with a rule: the API refuses, its message shown on the rule, the input kept.
    const refused = await ui.submit(edit!, { ...fields, isDefault: 'on' });
    expect(refused.status).toBe(400);
    expect(refused.doc.querySelector('#target-rule-error')?.textContent ?? refused.text).toMatch(/default/i);
    expect(refused.doc.querySelector('#target-rule-value')?.getAttribute('value')).toBe('EU');

    // The rule changed to "one of EU, UK": saved, and shown on the definition page.
    p = await ui.submit(edit!, { ...fields, ruleOp: 'in', ruleValue: 'EU,UK' });
    expect(p.path).toBe(path);
    expect((await targets()).items.find((t) => t.id === eu.id)!.routingRule).toEqual({ column: 'region', op: 'in', values: ['EU', 'UK'] });

    // Removing a list (here one added for the purpose, never provisioned).
    const extra = await apiJson<{ id: string; connectionId: string }>(stack, `/v1/sync-definitions/${definitionId}/targets/${eu.id}`);
    const added = await apiJson<{ id: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      {
        method: 'POST',
        json: {
          connectionId: extra.connectionId,
          siteId: reg.siteId,
          listDisplayName: 'Orders spare',
          routingRule: { column: 'region', op: 'eq', value: 'XX' },
        },
      },
      201,
    );
    p = await ui.page(path);
    expect(p.actions).toContain(`${path}/lists/${added.id}/delete`);
    p = await ui.submit(`${path}/lists/${added.id}/delete`);
    expect(p.text).toContain('List removed');
    expect((await targets()).items.map((t) => t.listDisplayName)).not.toContain('Orders spare');
  });

  it('shows a viewer no forms that change anything, and the API refuses a forged one', async () => {
    const viewer = new UiClient(stack);
    await viewer.signIn(await createKey(stack, 'viewer'));
    const path = `/ui/definitions/${definitionId}`;
    const p = await viewer.page(path);
    expect(p.status).toBe(200);
    expect(changes(p)).toEqual([]);
    expect(p.buttons).toEqual(['Sign out']);
    expect((await viewer.page('/ui/definitions/new')).status).toBe(403);

    const before = await definition();
    const forged = await viewer.submit(`${path}/settings`, { direction: 'push', conflictPolicy: 'manual', enabled: 'on', scheduleIntervalSeconds: '60' });
    expect(forged.status).toBe(403);
    expect(forged.doc.querySelector('[role="alert"]')?.textContent).toMatch(/operator/);
    expect(await definition()).toEqual(before);
  });

  it('deletes the definition from its page', async () => {
    const p = await ui.submit(`/ui/definitions/${definitionId}/delete`);
    expect(p.path).toBe('/ui');
    expect(p.text).toContain('The definition was deleted');
    expect((await stack.api(`/v1/sync-definitions/${definitionId}`)).status).toBe(404);
    expect((await ui.page(`/ui/definitions/${definitionId}`)).status).toBe(404);
  });
});
