import { and, asc, eq, gt, isNotNull, sql } from 'drizzle-orm';
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

/** `source_key` is one of `keys`: one array parameter (an IN list is a parameter per key). */
export const keyIn = (keys: readonly string[]) => sql`${L.sourceKey} = any(${sql.param([...keys])}::text[])`;

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

/** The entries of these keys (one query, any number of keys). */
export async function ledgerEntries(db: MetaDb, definitionId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .select({ sourceKey: L.sourceKey, targetId: L.targetId, listItemId: L.listItemId, contentHash: L.contentHash })
    .from(L)
    .where(and(eq(L.definitionId, definitionId), keyIn(keys)));
  return new Map(rows.map((r) => [r.sourceKey, r]));
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
