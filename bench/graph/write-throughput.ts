/**
 * Write throughput: the Graph gateway (`$batch`, RU budget, retries) against a naive
 * one-POST-per-item loop, both against the in-process SharePoint emulator.
 *
 *   npx tsx bench/graph/write-throughput.ts [--items 10000] [--ru 100000] [--latency 25] [--concurrency 4]
 *
 *   --items        items written by each mode (default 10000, a list past the 5,000-item view threshold)
 *   --ru           the emulator's budget in RU per minute per app, and the gateway's
 *                  (default 100000: the budget does not bind, so the figures show
 *                  request overhead; `--ru 1250` is SharePoint's real budget for a
 *                  small tenant: both modes are then capped at 625 creates/minute and
 *                  only the naive loop collects 429s. Expect ~N/625 minutes per mode.)
 *   --latency      extra latency per request in the emulator, ms (default 25, a stand-in
 *                  for the network; real Graph writes take 100-300 ms)
 *   --concurrency  `$batch` envelopes in flight (default 4)
 *
 * The naive loop is what a simple script does (and what the original system did): one
 * token, one POST per row, sleeping for Retry-After on 429/503, no budget of its own.
 * Each mode uses its own app registration, so each has its own budget on both sides.
 * RU per item comes from the emulator's counters (Microsoft's costs: 2 RU per create,
 * charged per `$batch` sub-request too), so batching saves round trips, not RU.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT_ID, startEmulator, type RunningEmulator } from '../../services/sharepoint-emulator/src/index.ts';
import { fetchToken, naivePost } from './naive-client.ts';
import { GraphGateway, resetBudgetRegistry } from '../../shared/src/graph/index.ts';
import { createLogger } from '../../shared/src/observability/logger.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '10000' },
    ru: { type: 'string', default: '100000' },
    latency: { type: 'string', default: '25' },
    concurrency: { type: 'string', default: '4' },
  },
});
const items = Number(values.items);
const ru = Number(values.ru);
const latency = Number(values.latency);
const concurrency = Number(values.concurrency);

interface AppCounters {
  clientId: string;
  requests: number;
  batches: number;
  ruSpent: number;
  throttled: number;
  injected429: number;
  injected503: number;
}

interface Row {
  mode: string;
  seconds: number;
  written: number;
  failed: number;
  counters: AppCounters;
}

async function admin<T>(emulator: RunningEmulator, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${emulator.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

async function newGateway(emulator: RunningEmulator, budget: number): Promise<{ gateway: GraphGateway; clientId: string; clientSecret: string }> {
  const client = { clientId: randomUUID(), clientSecret: `bench-${randomUUID()}` };
  await admin(emulator, 'POST', '/tenants', { tenantId: DEFAULT_TENANT_ID, clients: [client], seedDefaultSite: false });
  const gateway = GraphGateway.create(
    {
      connectionId: `bench-${client.clientId}`,
      tenantId: DEFAULT_TENANT_ID,
      ...client,
      graphBaseUrl: emulator.graphBaseUrl,
      authorityHost: emulator.authorityHost,
      caCertificatePem: emulator.caCertificatePem,
      ruPerMinute: budget,
    },
    { logger: createLogger({ service: 'bench', level: 'error' }), batchConcurrency: concurrency, maxAttempts: 20 },
  );
  return { gateway, ...client };
}

async function listFor(gateway: GraphGateway, name: string): Promise<{ siteId: string; listId: string }> {
  const site = await gateway.getSiteByPath('contoso.sharepoint.com', '/sites/syncbridge');
  const list = await gateway.createList(site.id as string, { displayName: name, columns: [{ name: 'SyncKey', text: {}, indexed: true }] });
  return { siteId: site.id as string, listId: list.id as string };
}

async function countersFor(emulator: RunningEmulator, clientId: string): Promise<AppCounters> {
  const snapshot = await admin<{ apps: AppCounters[] }>(emulator, 'GET', '/counters');
  return snapshot.apps.find((a) => a.clientId === clientId) as AppCounters;
}

const fieldsFor = (i: number) => ({ Title: `Row ${i}`, SyncKey: `row-${i}` });

async function runBatched(emulator: RunningEmulator): Promise<Row> {
  // The gateway gets the same budget as the emulator: that is how it avoids 429s.
  const { gateway, clientId } = await newGateway(emulator, ru);
  const { siteId, listId } = await listFor(gateway, 'Bench batched');
  const before = await countersFor(emulator, clientId);
  const start = performance.now();
  let written = 0;
  let failed = 0;
  // Chunks of 1,000 rows, as an activity would stream them.
  for (let offset = 0; offset < items; offset += 1000) {
    const chunk = Array.from({ length: Math.min(1000, items - offset) }, (_, k) => ({ id: String(offset + k), fields: fieldsFor(offset + k) }));
    const results = await gateway.createItems(siteId, listId, chunk, { keyField: 'SyncKey' });
    for (const r of results) {
      if (r.ok) written++;
      else failed++;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const after = await countersFor(emulator, clientId);
  gateway.close();
  return { mode: 'gateway $batch', seconds, written, failed, counters: diff(after, before) };
}

/** What a simple script does: fetch one token, then one POST per item, sleeping on 429/503. */
async function runNaive(emulator: RunningEmulator): Promise<Row> {
  const { gateway, clientId, clientSecret } = await newGateway(emulator, ru);
  const { siteId, listId } = await listFor(gateway, 'Bench naive');
  gateway.close();
  const token = await fetchToken(emulator, clientId, clientSecret);
  const before = await countersFor(emulator, clientId);
  const start = performance.now();
  let written = 0;
  let failed = 0;
  const url = `${emulator.graphBaseUrl}/sites/${siteId}/lists/${listId}/items`;
  for (let i = 0; i < items; i++) {
    if ((await naivePost(url, token, fieldsFor(i))) === null) failed++;
    else written++;
  }
  const seconds = (performance.now() - start) / 1000;
  const after = await countersFor(emulator, clientId);
  return { mode: 'naive POST loop', seconds, written, failed, counters: diff(after, before) };
}

function diff(after: AppCounters, before: AppCounters): AppCounters {
  return {
    clientId: after.clientId,
    requests: after.requests - before.requests,
    batches: after.batches - before.batches,
    ruSpent: after.ruSpent - before.ruSpent,
    throttled: after.throttled - before.throttled,
    injected429: after.injected429 - before.injected429,
    injected503: after.injected503 - before.injected503,
  };
}

function print(rows: Row[]): void {
  const header = ['mode', 'written', 'failed', 'seconds', 'items/s', 'HTTP calls', 'RU spent', 'RU/item', '429s'];
  const table = rows.map((r) => [
    r.mode,
    String(r.written),
    String(r.failed),
    r.seconds.toFixed(1),
    (r.written / r.seconds).toFixed(1),
    String(r.counters.batches > 0 ? r.counters.batches : r.counters.requests),
    String(r.counters.ruSpent),
    (r.counters.ruSpent / Math.max(1, r.written)).toFixed(2),
    String(r.counters.throttled + r.counters.injected429),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));
}

console.log(`SharePoint emulator, ${items} items per mode, budget ${ru} RU/min per app, +${latency} ms per request, ${concurrency} envelopes in flight`);
const emulator = await startEmulator({ ruPerMinute: ru });
try {
  await admin(emulator, 'PUT', '/faults', { latencyMs: latency });
  resetBudgetRegistry();
  const rows = [await runBatched(emulator), await runNaive(emulator)];
  print(rows);
  const [batched, naive] = rows as [Row, Row];
  console.log(
    `speed-up: ${(batched.written / batched.seconds / (naive.written / naive.seconds)).toFixed(1)}x items/s; HTTP calls: ${batched.counters.batches} envelopes vs ${naive.counters.requests} POSTs`,
  );
} finally {
  await emulator.close();
}
