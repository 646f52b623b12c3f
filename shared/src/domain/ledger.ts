import { and, asc, eq, getTableName, gt, isNotNull, sql } from 'drizzle-orm';
import { schema, type MetaDb } from '../db/index.ts';

/*
 * The sync ledger of one definition: where each source row lives in SharePoint, what was
 * written, and the delete sweep's marks. Every read and write of the ledger outside the
 * batch commit goes through here (API listings, the push batch, the sweep, the guard).
 */

export interface LedgerEntry {
  sourceKey: string;
  targetId: string | null;
  listItemId: string | null;
  contentHash: string;
}

const L = schema.syncLedger;

/**
 * `source_key` is one of `keys`: one array parameter (an IN list is a parameter per key). Planned as
 * index probes while the ledger's statistics are near its size (analyzeLedgerIfGrown).
 */
export const keyIn = (keys: readonly string[]) => sql`${L.sourceKey} in (select unnest(${sql.param([...keys])}::text[]))`;

/** The meta-store or a transaction of it. */
type Executor = Pick<MetaDb, 'execute'>;

/** One audit row of `ledger_events`. */
export interface LedgerEventRow {
  definitionId: string;
  runId: string | null;
  sourceKey: string;
  kind: (typeof schema.ledgerEventKind.enumValues)[number];
  fromTargetId: string | null;
  toTargetId: string | null;
  listItemId: string | null;
  detail: Record<string, unknown> | null;
}

/**
 * Appends audit events in one statement of one parameter per column (`unnest`), however many: a
 * 500-row batch as a VALUES list is 4,000 parameters for the client to build and the server to parse.
 */
export async function insertLedgerEvents(tx: Executor, events: readonly LedgerEventRow[]): Promise<void> {
  if (events.length === 0) return;
  const col = <T>(pick: (e: LedgerEventRow) => T) => sql.param(events.map(pick));
  await tx.execute(sql`
    insert into ${schema.ledgerEvents} (definition_id, run_id, source_key, kind, from_target_id, to_target_id, list_item_id, detail)
    select * from unnest(
      ${col((e) => e.definitionId)}::uuid[], ${col((e) => e.runId)}::uuid[], ${col((e) => e.sourceKey)}::text[],
      ${col((e) => e.kind)}::ledger_event_kind[], ${col((e) => e.fromTargetId)}::uuid[], ${col((e) => e.toTargetId)}::uuid[],
      ${col((e) => e.listItemId)}::text[], ${col((e) => (e.detail === null ? null : JSON.stringify(e.detail)))}::jsonb[])`);
}

/**
 * The query of ledgerEntries: one index probe per key, whatever the planner's statistics say. A first
 * load grows the ledger from nothing faster than statistics follow, and with a join or `= any(...)`
 * PostgreSQL then hashed or filtered every entry of the definition (a 500-key page took 0.2-0.9 s on a
 * 700,000-entry ledger).
 */
export const ledgerEntriesQuery = (definitionId: string, keys: readonly string[]) => sql`
  select l.source_key, l.target_id, l.list_item_id, l.content_hash
  from unnest(${sql.param([...new Set(keys)])}::text[]) as k(source_key)
  cross join lateral (
    select source_key, target_id, list_item_id, content_hash from ${L}
    where definition_id = ${definitionId} and source_key = k.source_key limit 1
  ) l`;

/** The entries of these keys (one query, any number of keys). */
export async function ledgerEntries(db: MetaDb, definitionId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
  if (keys.length === 0) return new Map();
  const rows = await db.execute<{ source_key: string; target_id: string | null; list_item_id: string | null; content_hash: string }>(
    ledgerEntriesQuery(definitionId, keys),
  );
  return new Map(rows.map((r) => [r.source_key, { sourceKey: r.source_key, targetId: r.target_id, listItemId: r.list_item_id, contentHash: r.content_hash }]));
}

/** Entries in source-key order after `afterKey`; with `keyContains`, only keys containing that text. */
export function ledgerPage(db: MetaDb, definitionId: string, afterKey: string | null, limit: number, keyContains?: string) {
  return db
    .select()
    .from(L)
    .where(
      and(
        eq(L.definitionId, definitionId),
        afterKey ? gt(L.sourceKey, afterKey) : undefined,
        keyContains ? sql`strpos(${L.sourceKey}, ${keyContains}) > 0` : undefined,
      ),
    )
    .orderBy(asc(L.sourceKey))
    .limit(limit);
}

export async function ledgerSize(db: MetaDb, definitionId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(L)
    .where(eq(L.definitionId, definitionId));
  return row?.n ?? 0;
}

/** Ledger rows written by this process since it last had the ledger analysed. */
let writtenSinceAnalyze = 0;
/** At least this many rows written, and 10% of what the planner knows, before the ledger is analysed again. */
const ANALYZE_AFTER_ROWS = 10_000;

/**
 * Keeps the planner's statistics of the ledger near its size while loads grow it (autovacuum's analyse
 * comes late, or never where it is off): with an empty ledger in the statistics, PostgreSQL plans the
 * key lookups, updates and deletes of a page as scans of every entry. Called after each committed page.
 */
export async function analyzeLedgerIfGrown(db: Executor, written: number): Promise<void> {
  writtenSinceAnalyze += written;
  if (writtenSinceAnalyze < ANALYZE_AFTER_ROWS) return;
  const [row] = await db.execute<{ n: number }>(sql`select greatest(reltuples, 0)::float8 as n from pg_class where oid = ${getTableName(L)}::regclass`);
  if (writtenSinceAnalyze < 0.1 * Number(row?.n ?? 0)) return;
  writtenSinceAnalyze = 0;
  await db.execute(sql`analyze ${L}`);
}

/** Marks entries whose rows a sweep found gone (with the run's id); nothing is deleted yet. */
export async function markGone(db: MetaDb, definitionId: string, runId: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .update(L)
    .set({ sweepRunId: runId })
    .where(and(eq(L.definitionId, definitionId), keyIn(keys)));
}

/** Clears the marks of one run, or of every run when `runId` is null. */
export async function clearMarks(db: MetaDb, definitionId: string, runId: string | null): Promise<void> {
  await db
    .update(L)
    .set({ sweepRunId: null })
    .where(and(eq(L.definitionId, definitionId), runId ? eq(L.sweepRunId, runId) : isNotNull(L.sweepRunId)));
}

/** Marked entries of a run in source-key order after `afterKey`. */
export function markedPage(db: MetaDb, definitionId: string, runId: string, afterKey: string | null, limit: number) {
  return db
    .select({ sourceKey: L.sourceKey, targetId: L.targetId, listItemId: L.listItemId })
    .from(L)
    .where(and(eq(L.definitionId, definitionId), eq(L.sweepRunId, runId), afterKey ? gt(L.sourceKey, afterKey) : undefined))
    .orderBy(asc(L.sourceKey))
    .limit(limit);
}

/** Per target list: entries a run marked, and all entries (for the mass-delete guard). */
export function markedPerTarget(db: MetaDb, definitionId: string, runId: string) {
  return db
    .select({ targetId: L.targetId, marked: sql<number>`count(*) filter (where ${L.sweepRunId} = ${runId})::int`, items: sql<number>`count(*)::int` })
    .from(L)
    .where(eq(L.definitionId, definitionId))
    .groupBy(L.targetId);
}
