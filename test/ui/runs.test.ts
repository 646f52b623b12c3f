import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';
import {
  apiJson,
  defineSync,
  listItems,
  registerSourceAndConnection,
  runPush,
  waitForRun,
  waitForRunState,
  type RunView,
  type SyncSetup,
} from '../harness/sync.ts';
import { UiClient, type UiPage } from '../harness/ui.ts';

/*
 * The run, conflict, drift and runbook pages through the UI as a user drives them (forms sent
 * as a browser sends them, answers parsed), against the real stack: API -> Temporal -> worker ->
 * PostgreSQL and the Graph emulator. What the UI did is checked through the API.
 */

interface Run extends RunView {
  kind: string;
  temporalUiUrl: string;
  definitionId: string;
}
interface Conflict {
  id: string;
  status: string;
  sourceKey: string;
  resolution: { keep: string; appliedAt: string | null } | null;
}

/** The POST forms of a page other than signing out: what the user can change there. */
const changes = (p: UiPage) => p.actions.filter((a) => a !== '/ui/sign-out');
/** The run id a run page's path carries. */
const runIdOf = (p: UiPage) => /^\/ui\/runs\/([0-9a-f-]{36})$/.exec(p.path)?.[1];

describe('web UI: runs, conflicts, drift and runbooks', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let pushDef: { definitionId: string; listId: string };
  let pushRun: RunView;
  let ui: UiClient;
  let viewer: UiClient;

  const emulatorPatch = async (listId: string, itemId: string, fields: Record<string, unknown>) => {
    const res = await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(listId)}/items/${itemId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const columnOf = async (definitionId: string, sourceColumn: string) =>
    (
      await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
    ).items.find((m) => m.sourceColumn === sourceColumn)!.targetColumn;
  const itemOf = async (listId: string, key: number) => (await listItems(stack, listId)).find((i) => i.fields.SyncBridgeKey === String(key))!;
  const finished = (runId: string) => waitForRunState<Run>(stack, runId, (r) => !['queued', 'running', 'awaiting_approval'].includes(r.status));

  /** Starts a drift check from the definition's drift page and returns its report page. */
  const driftCheckThroughUi = async (definitionId: string): Promise<UiPage> => {
    const drift = await ui.page(`/ui/definitions/${definitionId}/drift`);
    expect(drift.status).toBe(200);
    expect(changes(drift)).toContain(`/ui/definitions/${definitionId}/drift-check`);
    const runPage = await ui.submit(`/ui/definitions/${definitionId}/drift-check`);
    const runId = runIdOf(runPage)!;
    expect(runId, runPage.text).toBeTruthy();
    const run = await finished(runId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    const done = await ui.page(`/ui/runs/${runId}`);
    const reportLink = done.link('Open the drift report of this check');
    expect(reportLink, done.text).toMatch(/^\/ui\/drift-reports\//);
    return ui.page(reportLink!);
  };
  /** The count a report page shows for a drift class. */
  const classCount = (report: UiPage, label: string) => {
    const row = report.doc.querySelectorAll('tr').find((tr) => tr.querySelector('th')?.textContent.trim() === label);
    return Number(row?.querySelectorAll('td').at(-1)?.textContent.trim());
  };

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_ui_runs');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create function touch() returns trigger language plpgsql as $$ begin new.updated_at := clock_timestamp(); return new; end $$;
      create table items (id integer primary key, name text not null, score numeric(10,2), updated_at timestamptz not null default now());
      insert into items (id, name, score) select g, 'Item ' || g, g * 1.5 from generate_series(1, 6) g;
      create table contacts (id integer primary key, name text not null, score numeric(10,2), updated_at timestamptz not null default now());
      create trigger contacts_touch before update on contacts for each row execute function touch();
      insert into contacts (id, name, score) select g, 'Contact ' || g, g * 2 from generate_series(1, 4) g;
    `);
    reg = await registerSourceAndConnection(stack, source, 'uiruns');
    pushDef = await defineSync(stack, reg, { name: 'ui items', table: 'items', keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' });
    pushRun = await runPush(stack, pushDef.definitionId);
    expect(pushRun.status, JSON.stringify(pushRun.errors)).toBe('succeeded');
    ui = new UiClient(stack);
    await ui.signIn(await createKey(stack, 'operator'));
    viewer = new UiClient(stack);
    await viewer.signIn(await createKey(stack, 'viewer'));
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('lists runs filtered by definition, kind and status', async () => {
    const list = await ui.page(`/ui/runs?definitionId=${pushDef.definitionId}&status=succeeded`);
    expect(list.status).toBe(200);
    expect(list.title).toBe('Runs');
    expect(list.link(/^[0-9a-f]{8}$/)).toBeDefined();
    const hrefs = list.doc.querySelectorAll('table a').map((a) => a.getAttribute('href'));
    expect(hrefs).toContain(`/ui/runs/${pushRun.id}`);
    expect(hrefs).toContain(`/ui/definitions/${pushDef.definitionId}`);
    // The filters show what was chosen; the definition's name stands for its id.
    expect(list.doc.querySelector('#f-definition option[selected]')?.getAttribute('value')).toBe(pushDef.definitionId);
    expect(list.doc.querySelector('#f-status option[selected]')?.getAttribute('value')).toBe('succeeded');
    expect(list.text).toContain('ui items');
    expect(list.text).toContain('created 6');

    const failed = await ui.page(`/ui/runs?definitionId=${pushDef.definitionId}&status=failed`);
    expect(failed.text).toContain('No runs match these filters.');
    const pushOnly = await ui.page(`/ui/runs?kind=provision&definitionId=${pushDef.definitionId}`);
    expect(pushOnly.doc.querySelectorAll('table a').map((a) => a.getAttribute('href'))).not.toContain(`/ui/runs/${pushRun.id}`);
    // A hand-made bad filter is the API's message above the filters, not a broken page.
    const bad = await ui.page('/ui/runs?status=bogus');
    expect(bad.status).toBe(400);
    expect(bad.doc.querySelector('#error-summary')).not.toBeNull();
  });

  it('shows a finished run with its counts and Temporal link; its progress fragment does not poll', async () => {
    const run = await apiJson<Run>(stack, `/v1/sync-runs/${pushRun.id}`);
    const p = await ui.page(`/ui/runs/${pushRun.id}`);
    expect(p.status).toBe(200);
    expect(p.title).toBe(`push run ${pushRun.id.slice(0, 8)}`);
    expect(p.text).toContain('created 6');
    expect(p.text).toMatch(/Status\s*succeeded/);
    expect(p.link('Open in Temporal Web UI')).toBe(run.temporalUiUrl);
    // Finished: nothing to cancel, and the progress neither polls nor offers a refresh.
    expect(changes(p)).toEqual([]);
    expect(p.doc.querySelector('#run-progress')?.getAttribute('hx-trigger')).toBeUndefined();
    expect(p.doc.querySelector('[aria-live="polite"] #run-progress')).not.toBeNull();
    expect(p.doc.querySelector('label[for="run-progress-bar"]')?.textContent).toBe('Rows done');

    const fragment = await ui.raw(`/ui/runs/${pushRun.id}/progress`);
    expect(fragment.status).toBe(200);
    const html = await fragment.text();
    expect(html).not.toContain('<html');
    expect(html).toContain('id="run-progress"');
    expect(html).toContain('<progress');
    expect(html).not.toContain('hx-trigger');
    expect(html).toContain('6 of 6 done');
  });

  it('runs a drift check, plans a repair from its report, approves the plan on the run page, and a second check is clean', async () => {
    const { definitionId, listId } = pushDef;
    // Value drift: an item edited in SharePoint behind SyncBridge's back.
    await emulatorPatch(listId, (await itemOf(listId, 2)).id, { [await columnOf(definitionId, 'name')]: 'Edited in SharePoint' });

    const report = await driftCheckThroughUi(definitionId);
    expect(report.status).toBe(200);
    expect(classCount(report, 'Value drift')).toBe(1);
    expect(classCount(report, 'Orphan items')).toBe(0);
    expect(report.text).toContain('Value drift');
    expect(report.text).toMatch(/Keys of value drift/);
    const reportPath = report.path;
    expect(changes(report)).toEqual([`${reportPath}/repair`]);
    // A viewer reads the report, with nothing to press.
    const viewerReport = await viewer.page(reportPath);
    expect(viewerReport.status).toBe(200);
    expect(changes(viewerReport)).toEqual([]);
    expect(changes(await viewer.page(`/ui/definitions/${definitionId}/drift`))).toEqual([]);

    // Plan a repair: the UI lands on the repair run, which waits with its plan.
    const repairPage = await ui.submit(`${reportPath}/repair`);
    const repairId = runIdOf(repairPage)!;
    expect(repairId, repairPage.text).toBeTruthy();
    const held = await waitForRunState<Run>(stack, repairId, (r) => r.status === 'awaiting_approval');
    expect(held.kind).toBe('drift_repair');
    const waiting = await ui.page(`/ui/runs/${repairId}`);
    expect(waiting.text).toContain('Actions per drift class');
    expect(waiting.text).toMatch(/Requested by\s*you \(operator key\)/);
    expect(waiting.text).toMatch(/valueDrift\s*update\s*1/);
    expect(waiting.buttons).toEqual(expect.arrayContaining(['Approve plan', 'Reject plan', 'Cancel run']));
    expect(waiting.link('The drift report this repair answers')).toBe(reportPath);
    // While it waits the progress polls (htmx), and a Refresh link stands in without scripts.
    expect(waiting.doc.querySelector('#run-progress')?.getAttribute('hx-trigger')).toBe('every 2s');
    expect(waiting.link('Refresh this page')).toBe(`/ui/runs/${repairId}`);
    const polling = await (await ui.raw(`/ui/runs/${repairId}/progress?seen=awaiting_approval`, { headers: { 'hx-request': 'true' } })).text();
    expect(polling).toContain('hx-trigger="every 2s"');

    // A viewer sees the plan but no decision, and a forged decision is refused with nothing changed.
    const viewerRun = await viewer.page(`/ui/runs/${repairId}`);
    expect(viewerRun.text).toContain('Actions per drift class');
    expect(changes(viewerRun)).toEqual([]);
    const forged = await viewer.submit(`/ui/runs/${repairId}/approve-plan`);
    expect(forged.status).toBe(403);
    expect(forged.doc.querySelector('#error-summary')?.textContent).toMatch(/operator/);
    expect((await apiJson<Run>(stack, `/v1/sync-runs/${repairId}`)).status).toBe('awaiting_approval');
    expect((await viewer.submit(`/ui/runs/${repairId}/cancel`)).status).toBe(403);
    expect((await apiJson<Run>(stack, `/v1/sync-runs/${repairId}`)).status).toBe('awaiting_approval');

    // The operator approves on the run page; the run applies the plan.
    const approved = await ui.submit(`/ui/runs/${repairId}/approve-plan`);
    expect(approved.path).toBe(`/ui/runs/${repairId}`);
    expect(approved.text).toContain('Plan approved');
    const done = await finished(repairId);
    expect(done.status, JSON.stringify(done.errors)).toBe('succeeded');
    expect(done.counts).toMatchObject({ repaired: 1 });
    const after = await ui.page(`/ui/runs/${repairId}`);
    expect(after.text).toMatch(/Plan status\s*applied/);
    expect(after.text).toContain('Outcome');
    expect(changes(after)).toEqual([]);
    const fragment = await (await ui.raw(`/ui/runs/${repairId}/progress?seen=awaiting_approval`, { headers: { 'hx-request': 'true' } })).text();
    expect(fragment).not.toContain('hx-trigger');

    const second = await driftCheckThroughUi(definitionId);
    expect(second.text).toContain('Clean: table, ledger and lists agree.');
    for (const label of ['Orphan items', 'Missing items', 'Value drift', 'Ledger drift', 'Duplicates']) expect(classCount(second, label)).toBe(0);
    expect(changes(second)).toEqual([]);
    const reports = await ui.page(`/ui/definitions/${definitionId}/drift`);
    expect(reports.doc.querySelectorAll('table tbody tr')).toHaveLength(2);
  });

  it('shows a conflict side by side and resolves it; a viewer can only look', async () => {
    const { definitionId, listId } = await defineSync(stack, reg, {
      name: 'ui contacts',
      table: 'contacts',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      direction: 'both',
      conflictPolicy: 'manual',
    });
    expect((await runPush(stack, definitionId)).status).toBe('succeeded');
    const ingress = async () => {
      const t = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202);
      return waitForRun(stack, definitionId, t.workflowId);
    };
    await ingress();
    // Row 3 changes in the table and in the list: a conflict for a person.
    const nameCol = await columnOf(definitionId, 'name');
    await sql`update contacts set name = 'Table edit' where id = 3`;
    await emulatorPatch(listId, (await itemOf(listId, 3)).id, { [nameCol]: 'List edit' });
    expect((await ingress()).counts).toMatchObject({ conflicts: 1 });
    const [conflict] = (await apiJson<{ items: Conflict[] }>(stack, `/v1/sync-definitions/${definitionId}/conflicts?status=open`)).items;

    const all = await ui.page('/ui/conflicts');
    expect(all.link('Compare versions of key 3')).toBe(`/ui/conflicts/${conflict!.id}`);
    expect((await ui.page(`/ui/definitions/${definitionId}/conflicts?status=resolved`)).text).toContain('No resolved conflicts.');
    expect((await ui.page(`/ui/definitions/${definitionId}/conflicts`)).link('Compare versions of key 3')).toBe(`/ui/conflicts/${conflict!.id}`);

    const page = await ui.page(`/ui/conflicts/${conflict!.id}`);
    expect(page.title).toBe('Conflict on key 3');
    const nameRow = page.doc.querySelectorAll('tr').find((tr) => tr.querySelector('th')?.textContent.trim() === 'name')!;
    const cells = nameRow.querySelectorAll('td').map((td) => td.textContent.trim());
    expect(cells.slice(1)).toEqual(['Table edit', 'List edit', 'Differs']);
    const scoreRow = page.doc.querySelectorAll('tr').find((tr) => tr.querySelector('th')?.textContent.trim() === 'score')!;
    expect(scoreRow.querySelectorAll('td').at(-1)!.textContent.trim()).toBe('Same');
    expect(page.buttons).toEqual(expect.arrayContaining(["Keep the table's version", "Keep the list's version", 'Dismiss', 'Keep these values']));

    // The viewer: both versions, no forms; a forged resolve is the API's 403 and the conflict stays open.
    const seen = await viewer.page(`/ui/conflicts/${conflict!.id}`);
    expect(seen.text).toContain('Differs');
    expect(changes(seen)).toEqual([]);
    const forged = await viewer.submit(`/ui/conflicts/${conflict!.id}/resolve`, { keep: 'list' });
    expect(forged.status).toBe(403);
    expect((await viewer.submit(`/ui/conflicts/${conflict!.id}/dismiss`)).status).toBe(403);
    expect((await apiJson<Conflict>(stack, `/v1/conflicts/${conflict!.id}`)).status).toBe('open');

    // Values of one's own naming a column that is not synced: the API's field message, the input kept.
    const refused = await ui.submit(`/ui/conflicts/${conflict!.id}/resolve`, { keep: 'merged', 'value.name': 'Mine', 'value.nope': 'x' });
    expect(refused.status).toBe(422);
    expect(refused.doc.querySelector('#error-summary')?.textContent).toContain('nope');
    expect(refused.doc.querySelector('input[name="value.name"]')?.getAttribute('value')).toBe('Mine');
    expect((await apiJson<Conflict>(stack, `/v1/conflicts/${conflict!.id}`)).status).toBe('open');

    const resolved = await ui.submit(`/ui/conflicts/${conflict!.id}/resolve`, { keep: 'list' });
    expect(resolved.path).toBe(`/ui/conflicts/${conflict!.id}`);
    expect(resolved.text).toContain('Resolved. An ingress run applies it');
    expect(changes(resolved)).toEqual([]);
    // The ingress run it asked for writes the list's version to the table.
    const deadline = Date.now() + 60_000;
    let after = await apiJson<Conflict>(stack, `/v1/conflicts/${conflict!.id}`);
    while (!after.resolution?.appliedAt && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await apiJson<Conflict>(stack, `/v1/conflicts/${conflict!.id}`);
    }
    expect(after).toMatchObject({ status: 'resolved', resolution: { keep: 'list', appliedAt: expect.any(String) } });
    expect((await sql`select name from contacts where id = 3`)[0]!.name).toBe('List edit');
    expect((await ui.page(`/ui/conflicts/${conflict!.id}`)).text).toMatch(/kept the list's version.*applied at/);
    expect((await ui.page('/ui/conflicts')).text).toContain('No open conflicts.');
  });

  it('starts runbooks with their options; a failed failover check is shown on its run page', async () => {
    const { definitionId } = pushDef;
    const book = await ui.page(`/ui/runbooks?definitionId=${definitionId}`);
    expect(changes(book)).toEqual(['/ui/runbooks/rebind', '/ui/runbooks/ledger_rebuild', '/ui/runbooks/drift_check', '/ui/runbooks/reshard']);
    expect(book.doc.querySelector('#rb-ledger-rebuild-definition option[selected]')?.getAttribute('value')).toBe(definitionId);
    expect(changes(await viewer.page('/ui/runbooks'))).toEqual([]);
    expect((await viewer.submit('/ui/runbooks/ledger_rebuild', { definitionId, dryRun: 'true' })).status).toBe(403);

    // Nothing chosen: the form again with the field named.
    const missing = await ui.submit('/ui/runbooks/rebind', { toInstanceId: reg.instanceId, cursor: 'keep', rewindSeconds: '60' });
    expect(missing.status).toBe(400);
    expect(missing.doc.querySelector('#error-summary a')?.getAttribute('href')).toBe('#rb-rebind-definitions');
    expect(missing.doc.querySelector('#rb-rebind-rewind')?.getAttribute('value')).toBe('60');

    // A dry-run rebind to the instance the definition already reads from: the check fails, and says why.
    const runPage = await ui.submit('/ui/runbooks/rebind', { toInstanceId: reg.instanceId, definitionIds: definitionId, cursor: 'keep', dryRun: 'true' });
    const runId = runIdOf(runPage)!;
    expect(runId, runPage.text).toBeTruthy();
    const run = await finished(runId);
    expect(run).toMatchObject({ kind: 'rebind', status: 'failed' });
    expect(run.errors[0]?.message).toContain('already reads from');
    const shown = await ui.page(`/ui/runs/${runId}`);
    expect(shown.text).toContain('already reads from');
    expect(shown.text).toMatch(/dryRun\s*true/);

    // The ledger rebuild, as a dry run, lands on its run.
    const ledger = await ui.submit('/ui/runbooks/ledger_rebuild', { definitionId, dryRun: 'true' });
    const ledgerRun = await finished(runIdOf(ledger)!);
    expect(ledgerRun).toMatchObject({ kind: 'ledger_rebuild', status: 'succeeded' });
  });
  it('shows a run held by the mass-delete guard with its decision; rejecting keeps the items', async () => {
    const { definitionId, listId } = pushDef;
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteGuardMaxItems: 1 } });
    await sql`delete from items where id in (5, 6)`;
    const started = await apiJson<{ runId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    await waitForRunState<Run>(stack, started.runId, (r) => r.status === 'awaiting_approval');

    const held = await ui.page(`/ui/runs/${started.runId}`);
    expect(held.text).toContain('Held by the mass-delete guard');
    expect(held.text).toMatch(/would delete 2 list items/);
    expect(held.buttons).toEqual(expect.arrayContaining(['Approve deletions', 'Reject deletions', 'Cancel run']));
    expect(changes(await viewer.page(`/ui/runs/${started.runId}`))).toEqual([]);
    expect((await viewer.submit(`/ui/runs/${started.runId}/approve-deletions`)).status).toBe(403);
    expect((await apiJson<Run>(stack, `/v1/sync-runs/${started.runId}`)).status).toBe('awaiting_approval');

    const rejected = await ui.submit(`/ui/runs/${started.runId}/reject-deletions`);
    expect(rejected.text).toContain('Deletions rejected');
    await finished(started.runId);
    expect(await listItems(stack, listId)).toHaveLength(6);
    const after = await ui.page(`/ui/runs/${started.runId}`);
    expect(after.text).toMatch(/rejected by/);
    expect(changes(after)).toEqual([]);
  });
});
