import { expect } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '@syncbridge/sharepoint-emulator';
import type { TestStack } from './stack.ts';

type Json = Record<string, unknown> & { id: string };

export async function apiJson<T = Json>(stack: TestStack, path: string, init?: Parameters<TestStack['api']>[1], expected?: number): Promise<T> {
  const res = await stack.api(path, init);
  const text = await res.text();
  if (expected !== undefined) expect(res.status, `${init?.method ?? 'GET'} ${path}: ${text}`).toBe(expected);
  else expect(res.ok, `${init?.method ?? 'GET'} ${path}: ${res.status} ${text}`).toBe(true);
  return (text ? JSON.parse(text) : null) as T;
}

/** A source database for registration: its URL (postgres:// or mysql://) and its name. */
export interface SourceRef {
  url: string;
  name: string;
  /** The engine to register (default postgres). */
  engine?: 'postgres' | 'mysql' | 'mariadb';
}

/**
 * Another instance of a registered database (a replica, say) reading the PostgreSQL database at `url`
 * (trust auth: the password is never checked). Returns its id.
 */
export async function addInstance(
  stack: TestStack,
  databaseId: string,
  url: string,
  opts: { name: string; role?: 'primary' | 'replica'; priority?: number },
): Promise<string> {
  const u = new URL(url);
  const row = await apiJson<{ id: string }>(
    stack,
    '/v1/database-instances',
    {
      method: 'POST',
      json: {
        databaseId,
        name: opts.name,
        host: u.hostname,
        port: Number(u.port || 5432),
        databaseName: u.pathname.slice(1),
        username: decodeURIComponent(u.username) || 'postgres',
        password: 'unused-with-trust-auth',
        sslMode: 'disable',
        role: opts.role ?? 'replica',
        ...(opts.priority === undefined ? {} : { priority: opts.priority }),
      },
    },
    201,
  );
  return row.id;
}

/** Registers app, database and instance (a real PostgreSQL, MySQL or MariaDB database) through the API. */
export async function registerSource(stack: TestStack, source: SourceRef, label = 'demo') {
  const engine = source.engine ?? 'postgres';
  const app = await apiJson(stack, '/v1/apps', { method: 'POST', json: { name: label, ownerTeam: 'data-platform' } }, 201);
  const database = await apiJson(stack, '/v1/databases', { method: 'POST', json: { appId: app.id, name: `${label}-db`, engine, environment: 'dev' } }, 201);
  const u = new URL(source.url);
  const instance = await apiJson(
    stack,
    '/v1/database-instances',
    {
      method: 'POST',
      json: {
        databaseId: database.id,
        name: 'primary',
        host: u.hostname,
        port: Number(u.port || (engine === 'postgres' ? 5432 : 3306)),
        databaseName: source.name,
        username: decodeURIComponent(u.username) || (engine === 'postgres' ? 'postgres' : 'root'),
        // PostgreSQL here trusts local connections; MariaDB's root has an empty password.
        ...(engine === 'postgres' ? { password: 'unused-with-trust-auth' } : u.password ? { password: decodeURIComponent(u.password) } : {}),
        sslMode: 'disable',
        role: 'primary',
      },
    },
    201,
  );
  return { appId: app.id, databaseId: database.id, instanceId: instance.id };
}

/** Registers app, database, instance (a real source database) and an emulator connection through the API. */
export async function registerSourceAndConnection(stack: TestStack, source: SourceRef, label = 'demo') {
  const { appId, instanceId, databaseId } = await registerSource(stack, source, label);
  const emulator = stack.emulator!;
  const connection = await apiJson(
    stack,
    '/v1/sharepoint-connections',
    {
      method: 'POST',
      json: {
        appId,
        name: `${label}-sharepoint`,
        tenantId: DEFAULT_TENANT_ID,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET,
        graphBaseUrl: emulator.graphBaseUrl,
        authorityHost: emulator.authorityHost,
        caCertificatePem: emulator.caCertificatePem,
        ruPerMinute: 600_000,
      },
    },
    201,
  );
  const sites = await apiJson<{ items: Array<{ id: string; webUrl: string | null }> }>(
    stack,
    `/v1/sharepoint-connections/${connection.id}/sites?search=syncbridge`,
  );
  expect(sites.items.length).toBeGreaterThan(0);
  return { appId, databaseId, instanceId, connectionId: connection.id, siteId: sites.items[0]!.id };
}

export interface RunView {
  id: string;
  status: string;
  workflowId: string;
  counts: Record<string, number>;
  errors: Array<{ message: string }>;
}

/** Polls the definition's runs until the one of that workflow id has finished. */
export async function waitForRun(stack: TestStack, definitionId: string, workflowId: string, timeoutMs = 120_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await apiJson<{ items: RunView[] }>(stack, `/v1/sync-definitions/${definitionId}/runs?limit=50`);
    const run = runs.items.find((r) => r.workflowId === workflowId);
    if (run && !['queued', 'running', 'awaiting_approval'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${workflowId} did not finish within ${timeoutMs} ms (last: ${JSON.stringify(run)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function provision(stack: TestStack, definitionId: string): Promise<RunView> {
  const started = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/provision`, { method: 'POST' }, 202);
  const run = await waitForRun(stack, definitionId, started.workflowId);
  expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
  return run;
}

export async function runPush(stack: TestStack, definitionId: string, body?: { fullResync?: boolean }): Promise<RunView> {
  const started = await apiJson<{ workflowId: string }>(
    stack,
    `/v1/sync-definitions/${definitionId}/runs`,
    { method: 'POST', ...(body ? { json: body } : {}) },
    202,
  );
  return waitForRun(stack, definitionId, started.workflowId);
}

export interface EmulatorItem {
  id: string;
  fields: Record<string, unknown>;
}

export async function listItems(stack: TestStack, listId: string): Promise<EmulatorItem[]> {
  const res = await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(listId)}/items`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: EmulatorItem[] }).value;
}

export interface SyncSetup {
  appId: string;
  databaseId: string;
  instanceId: string;
  connectionId: string;
  siteId: string;
}

/** Creates a definition (with its mappings, if given) and one default target list through the API and provisions it; returns its id and list id. */
export async function defineSync(
  stack: TestStack,
  reg: SyncSetup,
  def: {
    name: string;
    table: string;
    schema?: string;
    keyStrategy: 'pk' | 'unique' | 'composite';
    keyColumns: string[];
    cursorColumn?: string | null;
    batchSize?: number;
    listName?: string;
    /** The mapping set to save before provisioning (default: the proposal provisioning persists). */
    mappings?: Array<Record<string, unknown>>;
  } & Record<string, unknown>,
): Promise<{ definitionId: string; listId: string }> {
  const { name, table, schema = 'public', cursorColumn = null, listName, mappings, ...rest } = def;
  const created = await apiJson(
    stack,
    '/v1/sync-definitions',
    {
      method: 'POST',
      json: {
        appId: reg.appId,
        sourceInstanceId: reg.instanceId,
        sourceSchema: schema,
        sourceTable: table,
        name,
        cursorStrategy: cursorColumn ? 'updated_at' : 'full_scan',
        cursorColumn,
        ...rest,
      },
    },
    201,
  );
  if (mappings) await apiJson(stack, `/v1/sync-definitions/${created.id}/field-mappings`, { method: 'PUT', json: { mappings } }, 200);
  await apiJson(
    stack,
    `/v1/sync-definitions/${created.id}/targets`,
    { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: listName ?? name, isDefault: true } },
    201,
  );
  await provision(stack, created.id);
  const targets = await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${created.id}/targets`);
  return { definitionId: created.id, listId: targets.items[0]!.listId };
}

/** Polls a run until `predicate` holds for it (e.g. it is held by the mass-delete guard). */
export async function waitForRunState<T extends { status: string }>(
  stack: TestStack,
  runId: string,
  predicate: (run: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await apiJson<T>(stack, `/v1/sync-runs/${runId}`);
    if (predicate(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not reach the expected state within ${timeoutMs} ms (last: ${JSON.stringify(run)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
