/**
 * The demo, driven through the public API exactly as a user would: register the
 * sample source and the emulator connection, define two syncs (a single-column key
 * on a 30-second watermark schedule, and a composite key read from PostgreSQL's
 * log: its changes reach the list about a second after COMMIT), provision their
 * lists, run a first push, and leave them on.
 */
export interface DemoOptions {
  apiUrl: string;
  adminKey: string;
  source: { host: string; port: number; database: string; username: string; password: string };
  sharepoint: { tenantId: string; clientId: string; clientSecret: string; graphBaseUrl: string; authorityHost: string; caCertificatePem: string };
  say: (line: string) => void;
}

type Json = Record<string, unknown> & { id: string };

export async function setupDemo(o: DemoOptions): Promise<void> {
  const call = async <T = Json>(method: string, path: string, body?: unknown, ok = [200, 201, 202]): Promise<T> => {
    const res = await fetch(o.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${o.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}), 'x-request-id': `demo-${Date.now()}` },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!ok.includes(res.status)) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };

  const apps = await call<{ items: Json[] }>('GET', '/v1/apps?limit=200');
  if (apps.items.some((a) => a.name === 'demo')) {
    o.say('demo already set up (app "demo" exists); its syncs keep running on their schedule');
    return;
  }
  const app = await call('POST', '/v1/apps', { name: 'demo', ownerTeam: 'demo', description: 'Sample shop tables synced to the local SharePoint emulator' });
  const db = await call('POST', '/v1/databases', { appId: app.id, name: 'shop', engine: 'postgres', environment: 'dev' });
  const instance = await call('POST', '/v1/database-instances', {
    databaseId: db.id,
    name: 'primary',
    host: o.source.host,
    port: o.source.port,
    databaseName: o.source.database,
    username: o.source.username,
    password: o.source.password,
    sslMode: 'disable',
    role: 'primary',
  });
  const tested = await call<{ ok: boolean; error?: string }>('POST', `/v1/database-instances/${instance.id}/test`);
  if (!tested.ok) throw new Error(`the demo source database is not reachable: ${tested.error}`);
  const connection = await call('POST', '/v1/sharepoint-connections', { appId: app.id, name: 'emulator', ...o.sharepoint });
  const connTest = await call<{ ok: boolean; message: string }>('POST', `/v1/sharepoint-connections/${connection.id}/test`);
  if (!connTest.ok) throw new Error(`the SharePoint emulator refused the demo connection: ${connTest.message}`);
  const sites = await call<{ items: Array<{ id: string; webUrl: string | null }> }>(
    'GET',
    `/v1/sharepoint-connections/${connection.id}/sites?search=syncbridge`,
  );
  const site = sites.items[0];
  if (!site) throw new Error('the emulator has no "syncbridge" site');

  const specs = [
    { name: 'products', table: 'products', keyStrategy: 'pk', keyColumns: ['sku'], list: 'Products', logical: false },
    { name: 'order-lines', table: 'order_lines', keyStrategy: 'composite', keyColumns: ['order_id', 'line_no'], list: 'Order lines', logical: true },
  ];
  for (const spec of specs) {
    const base = {
      appId: app.id,
      name: spec.name,
      sourceInstanceId: instance.id,
      sourceSchema: 'shop',
      sourceTable: spec.table,
      keyStrategy: spec.keyStrategy,
      keyColumns: spec.keyColumns,
      enabled: false,
    };
    const watermark = { ...base, cursorStrategy: 'updated_at', cursorColumn: 'updated_at', scheduleIntervalSeconds: 30 };
    let def: Json;
    if (spec.logical) {
      // A server without wal_level=logical (your own DATABASE_URL) gets the watermark schedule instead.
      const tried = await call<Json & { detail?: string }>('POST', '/v1/sync-definitions', { ...base, cursorStrategy: 'logical_replication' }, [201, 422]);
      if (tried.id) {
        def = tried;
        o.say(`  ${spec.name}: read from PostgreSQL's log (logical replication): a change reaches the list about a second after COMMIT`);
      } else {
        o.say(`  ${spec.name}: logical replication is not available here (${tried.detail ?? 'refused'}); using the updated_at watermark`);
        def = await call('POST', '/v1/sync-definitions', watermark);
      }
    } else {
      def = await call('POST', '/v1/sync-definitions', watermark);
    }
    await call('POST', `/v1/sync-definitions/${def.id}/targets`, { connectionId: connection.id, siteId: site.id, listDisplayName: spec.list, isDefault: true });
    const prov = await call<{ workflowId: string }>('POST', `/v1/sync-definitions/${def.id}/provision`);
    await waitForRun(call, def.id, prov.workflowId);
    const push = await call<{ runId: string; workflowId: string; temporalUiUrl: string; estimate: { note: string } }>(
      'POST',
      `/v1/sync-definitions/${def.id}/runs`,
      {},
    );
    o.say(`  ${spec.name}: ${push.estimate.note}`);
    const run = await waitForRun(call, def.id, push.workflowId);
    o.say(`  ${spec.name}: shop.${spec.table} -> list "${spec.list}": ${JSON.stringify(run.counts)}`);
    o.say(`    progress: GET ${o.apiUrl}/v1/sync-runs/${push.runId}   Temporal: ${push.temporalUiUrl}`);
    // Enable last, so the schedule starts after the first run has provisioned and loaded the list.
    await call('PATCH', `/v1/sync-definitions/${def.id}`, { enabled: true });
  }
  for (const line of REAL_TENANT_NOTE) o.say(line);
}

/**
 * The emulator runs unthrottled; a real tenant does not. Microsoft budgets SharePoint by resource
 * units per app and tenant: 1,250 per minute for up to 1,000 licences, and a created or updated
 * item costs 2, so a first load writes about 625 rows a minute (16,000 rows: about 26 minutes).
 */
export const REAL_TENANT_NOTE = [
  '  on a real tenant: SharePoint allows an app 1,250 resource units a minute (up to 1,000 licences; more for bigger tenants) and each item',
  '  written costs 2, so a first load writes about 625 rows a minute (16,000 rows: ~26 minutes); later runs write only changed rows.',
  '  Watch a run: GET /v1/sync-runs/{runId} (rows done, rows to do, time left), or the Temporal Web UI; stop it: POST /v1/sync-runs/{runId}/cancel.',
];

async function waitForRun(call: <T>(m: string, p: string) => Promise<T>, definitionId: string, workflowId: string) {
  for (let i = 0; i < 600; i++) {
    const runs = await call<{ items: Array<{ workflowId: string; status: string; counts: Record<string, number>; errors: Array<{ message: string }> }> }>(
      'GET',
      `/v1/sync-definitions/${definitionId}/runs?limit=20`,
    );
    const run = runs.items.find((r) => r.workflowId === workflowId);
    if (run?.status === 'succeeded') return run;
    if (run && ['failed', 'cancelled'].includes(run.status))
      throw new Error(`demo run ${workflowId} ${run.status}: ${run.errors.map((e) => e.message).join('; ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`demo run ${workflowId} did not finish in time`);
}
