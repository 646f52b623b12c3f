import { eq, sql } from 'drizzle-orm';
import { schema, type MetaDb } from '@syncbridge/shared/db';
import { canonicalKeyText } from '@syncbridge/shared/mapping';
import { replicationNames, type ChangeCapture, type IntrospectedTable, type ReplicationNames, type SlotStatus } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';
import { freezeContextNow, invalid, withCredentials, type DefinitionContext } from '../sync/definition.ts';
import { readCursor } from './commit.ts';
import { sourceOf } from './context.ts';

/*
 * Push from PostgreSQL logical replication (cursor strategy logical_replication). Each definition
 * has a slot and a publication of its table on the instance it reads from. A batch peeks whole
 * transactions from the slot, writes the net change per key through the ledger path of every
 * push (rows read by key; deletes marked for the run's guarded delete), commits the ledger with
 * the LSN as the cursor in one meta-store transaction, and only then lets the slot advance: a
 * crash in between reads the same changes again, and the ledger makes that harmless. The slot is
 * read with SQL functions, not a streaming connection, so every step is one activity like any other.
 *
 * A slot never fills the disk: past half of `replicationMaxRetainedMb` of held-back WAL its state
 * carries an alarm, past all of it the slot is dropped. A slot dropped, lost (gone, or invalidated
 * by the server's max_slot_wal_keep_size) or on another instance than the run's is replaced by a
 * new one, and that run is a full pass (every row compared, then the delete sweep): the fall back
 * that leaves nothing behind. Logical capture then goes on from the new slot.
 */

const MB = 1024 * 1024;
/** The column's default (migration 0012). */
const DEFAULT_MAX_RETAINED_MB = 1024;
/** Keys one batch reads by key at most before a transaction's changes are left to a full pass instead. */
const MAX_KEYS_PER_READ = 10_000;

/** The table's change capture, or a clear refusal for a source without it. */
export function captureOf(deps: ActivityDeps, ctx: DefinitionContext): ChangeCapture {
  const capture = sourceOf(deps, ctx).changeCapture;
  if (!capture)
    throw invalid(`cursor strategy logical_replication needs a PostgreSQL source; ${ctx.definition.sourceSchema}.${ctx.definition.sourceTable} is not on one`);
  return capture;
}

export const relationOf = (ctx: DefinitionContext) => ({ schema: ctx.definition.sourceSchema, name: ctx.definition.sourceTable });

type SlotRow = typeof schema.replicationSlots.$inferSelect;

async function slotRow(db: MetaDb, definitionId: string): Promise<SlotRow | undefined> {
  const [row] = await db.select().from(schema.replicationSlots).where(eq(schema.replicationSlots.definitionId, definitionId));
  return row;
}

/** Why the slot cannot be read on: null while it can. */
function lossOf(ctx: DefinitionContext, row: SlotRow | undefined, status: SlotStatus): string | null {
  const limitMb = ctx.definition.replicationMaxRetainedMb ?? DEFAULT_MAX_RETAINED_MB;
  if (row && row.instanceId !== ctx.instanceId) return 'the definition now reads from another instance of its database';
  if (row?.status === 'lost') return row.lastLostReason ?? 'the slot was lost';
  if (!status.exists) return row ? 'the slot is gone from the source (dropped outside SyncBridge, or the server was restored)' : null;
  if (status.walStatus === 'lost') return 'the server invalidated the slot: it held back more WAL than max_slot_wal_keep_size allows';
  if (status.retainedBytes > limitMb * MB)
    return `the slot held back ${Math.round(status.retainedBytes / MB)} MB of WAL, more than the definition's limit of ${limitMb} MB (replicationMaxRetainedMb)`;
  return null;
}

/** The alarm a slot's held-back WAL raises (past half of the definition's limit), or null. */
export function slotAlarm(limitMb: number, status: SlotStatus): string | null {
  if (status.retainedBytes > (limitMb * MB) / 2)
    return `the slot holds back ${Math.round(status.retainedBytes / MB)} MB of WAL, more than half the limit of ${limitMb} MB: at the limit it is dropped and the next run makes a full pass`;
  return null;
}

/** Records what a look at the slot found. */
export async function recordSlotStatus(db: MetaDb, definitionId: string, status: SlotStatus, alarm: string | null): Promise<void> {
  await db
    .update(schema.replicationSlots)
    .set({
      confirmedLsn: status.confirmedLsn,
      currentLsn: status.currentLsn,
      lagBytes: status.lagBytes,
      retainedBytes: status.retainedBytes,
      alarm,
      checkedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(eq(schema.replicationSlots.definitionId, definitionId));
}

/**
 * The logical part of preparing a run: a slot that can be read on (made when missing, replaced
 * when lost), its state recorded. `fresh` when this run starts on a new slot: it must be a full pass.
 */
export async function prepareSlot(deps: ActivityDeps, ctx: DefinitionContext): Promise<{ fresh: boolean; names: ReplicationNames }> {
  const { db } = deps.store;
  const d = ctx.definition;
  const capture = captureOf(deps, ctx);
  const names = replicationNames(d.id);
  const row = await slotRow(db, d.id);
  const status = await capture.status(names);
  const loss = lossOf(ctx, row, status);
  if (row && !loss && status.exists) {
    // The publication follows the table (a renamed definition source); cheap when nothing changed.
    await capture.ensure(names, relationOf(ctx), d.keyColumns);
    await recordSlotStatus(db, d.id, status, slotAlarm(d.replicationMaxRetainedMb ?? DEFAULT_MAX_RETAINED_MB, status));
    return { fresh: false, names };
  }
  if (status.exists) await capture.drop(names);
  // Rebound: the slot on the instance read before would keep its WAL there for nothing.
  const leftBehind = row && row.instanceId !== ctx.instanceId ? await dropOnInstance(deps, d.id, row.instanceId, names) : null;
  await capture.ensure(names, relationOf(ctx), d.keyColumns);
  const now = await capture.status(names);
  const values = {
    instanceId: ctx.instanceId,
    slotName: names.slot,
    publicationName: names.publication,
    status: 'active',
    confirmedLsn: now.confirmedLsn,
    currentLsn: now.currentLsn,
    lagBytes: now.lagBytes,
    retainedBytes: now.retainedBytes,
    alarm: leftBehind ?? (loss ? `the slot was replaced: ${loss}; this run makes a full pass` : null),
    checkedAt: sql`now()`,
    updatedAt: sql`now()`,
  };
  await db
    .insert(schema.replicationSlots)
    .values({ definitionId: d.id, ...values, ...(loss ? { lostCount: 1, lastLostAt: sql`now()`, lastLostReason: loss } : {}) })
    .onConflictDoUpdate({
      target: schema.replicationSlots.definitionId,
      set: { ...values, ...(loss ? { lostCount: sql`${schema.replicationSlots.lostCount} + 1`, lastLostAt: sql`now()`, lastLostReason: loss } : {}) },
    });
  return { fresh: true, names };
}

/** Drops the definition's slot on an instance it no longer reads; the problem in words when that fails (null when done). */
async function dropOnInstance(deps: ActivityDeps, definitionId: string, instanceId: string, names: ReplicationNames): Promise<string | null> {
  try {
    const { frozen } = await freezeContextNow(deps, definitionId, { instanceId });
    await captureOf(deps, await withCredentials(deps, frozen)).drop(names);
    return null;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `the slot ${names.slot} on instance ${instanceId}, read before a rebind, could not be dropped (${why}): drop it there by hand (SELECT pg_drop_replication_slot('${names.slot}')) or it keeps WAL`;
  }
}

/** Marks the slot lost (e.g. a TRUNCATE of the table): the next run replaces it and makes a full pass. */
export async function markSlotLost(db: MetaDb, definitionId: string, reason: string): Promise<void> {
  await db
    .update(schema.replicationSlots)
    .set({ status: 'lost', alarm: `${reason}; the next run makes a full pass on a new slot`, lastLostReason: reason, updatedAt: sql`now()` })
    .where(eq(schema.replicationSlots.definitionId, definitionId));
}

/**
 * One batch of the slot: whole transactions after the cursor's LSN (changes a crash left applied but
 * not released are skipped), as rows read by key now (their values as of now, which is what the
 * lists must show) and keys gone (deleted, or deleted again since the change was logged).
 */
export async function readSlotChanges(deps: ActivityDeps, ctx: DefinitionContext, table: IntrospectedTable, columns: string[], limit: number) {
  const { db } = deps.store;
  const d = ctx.definition;
  const capture = captureOf(deps, ctx);
  const names = replicationNames(d.id);
  const cursor = (await readCursor(db, d.id, 'source_watermark')) ?? {};
  const afterLsn = typeof cursor.lsn === 'string' ? cursor.lsn : null;
  const batch = await capture.peek(names, relationOf(ctx), d.keyColumns, { afterLsn, maxChanges: limit });
  // A transaction is read whole; one that changed very many rows is cheaper (and lighter) as a full pass.
  const tooMany = Math.max(MAX_KEYS_PER_READ, 10 * limit);
  const giveUp = batch.truncated
    ? `${d.sourceSchema}.${d.sourceTable} was truncated`
    : batch.changes.length > tooMany
      ? `a transaction changed ${batch.changes.length} rows of ${d.sourceSchema}.${d.sourceTable}, more than ${tooMany} read by key at once`
      : null;
  if (giveUp) {
    // The next run compares every row (and sweeps) on a new slot: nothing in the log is needed for that.
    await markSlotLost(db, d.id, giveUp);
    return { rows: [], goneKeys: [], hasMore: false, endLsn: null, cursor };
  }
  // The log spells keys as the server prints them; the ledger and the readers use the canonical texts.
  const families = d.keyColumns.map((k) => table.columns.find((c) => c.name === k)?.typeFamily);
  const canonical = (key: string[]) => key.map((text, i) => canonicalKeyText(text, families[i]) ?? text);
  const upserts = batch.changes.filter((c) => c.op === 'upsert').map((c) => canonical(c.key));
  const deleted = batch.changes.filter((c) => c.op === 'delete').map((c) => canonical(c.key));
  let rows: Array<{ values: Record<string, unknown>; key: string[] }> = [];
  const gone: string[][] = [...deleted];
  if (upserts.length) {
    const read = await sourceOf(deps, ctx).readByKeys({ schema: d.sourceSchema, table: d.sourceTable, columns, keyColumns: d.keyColumns, keys: upserts });
    rows = read.rows.map((values, i) => ({ values, key: read.keys[i]! }));
    const found = new Set(read.keys.map((k) => JSON.stringify(k)));
    for (const key of upserts) if (!found.has(JSON.stringify(key))) gone.push(key);
  }
  return { rows, goneKeys: gone, hasMore: batch.more, endLsn: batch.endLsn, cursor };
}

/** After the commit: the server may release the log up to `lsn`. A failure costs a re-read, never a change. */
export async function releaseSlot(deps: ActivityDeps, ctx: DefinitionContext, lsn: string, log: { warn(obj: object, msg: string): void }): Promise<void> {
  try {
    await captureOf(deps, ctx).advance(replicationNames(ctx.definition.id), lsn);
  } catch (err) {
    log.warn(
      { definitionId: ctx.definition.id, lsn, err: err instanceof Error ? err.message : String(err) },
      'replication slot not advanced; its changes are read again and found applied',
    );
  }
}
