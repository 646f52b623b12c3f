import { sql } from 'drizzle-orm';
import { bigint, index, primaryKey, jsonb, pgEnum, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './common.ts';
import { syncDefinitions, syncTargets } from './sync.ts';

export const provenance = pgEnum('provenance', ['push', 'ingress', 'adopted']);
export const ledgerEventKind = pgEnum('ledger_event_kind', ['create', 'update', 'move', 'delete', 'conflict', 'quarantine', 'adopt']);
export const cursorKind = pgEnum('cursor_kind', ['source_watermark', 'delta_token', 'full_scan']);

/** One row per (definition, source key): where the row lives in SharePoint and what was written. */
export const syncLedger = pgTable(
  'sync_ledger',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    sourceKey: text('source_key').notNull(),
    targetId: uuid('target_id').references(() => syncTargets.id, { onDelete: 'set null' }),
    listItemId: text('list_item_id'),
    contentHash: text('content_hash').notNull(),
    etag: text('etag'),
    provenance: provenance('provenance').notNull(),
    sourceVersion: text('source_version'),
    listItemVersion: text('list_item_version'),
    lastPushedAt: timestamp('last_pushed_at', { withTimezone: true }),
    lastIngestedAt: timestamp('last_ingested_at', { withTimezone: true }),
    /** Set by a run's delete sweep (its sync_runs id) when the source row was found gone; cleared when it is deleted or kept. */
    sweepRunId: uuid('sweep_run_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sync_ledger_definition_key_uq').on(t.definitionId, t.sourceKey),
    index('sync_ledger_target_item_idx').on(t.targetId, t.listItemId),
    index('sync_ledger_sweep_idx')
      .on(t.definitionId, t.sweepRunId, t.sourceKey)
      .where(sql`${t.sweepRunId} is not null`),
  ],
);

export const ledgerEvents = pgTable(
  'ledger_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    runId: uuid('run_id'),
    sourceKey: text('source_key').notNull(),
    kind: ledgerEventKind('kind').notNull(),
    fromTargetId: uuid('from_target_id'),
    toTargetId: uuid('to_target_id'),
    listItemId: text('list_item_id'),
    detail: jsonb('detail'),
    createdAt: createdAt(),
  },
  (t) => [index('ledger_events_definition_time_idx').on(t.definitionId, t.createdAt), index('ledger_events_run_idx').on(t.runId)],
);

/** Watermarks and delta tokens, one per definition, kind and target (null target = the source side). */
export const syncCursors = pgTable(
  'sync_cursors',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    kind: cursorKind('kind').notNull(),
    targetId: uuid('target_id').references(() => syncTargets.id, { onDelete: 'cascade' }),
    value: jsonb('value').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [unique('sync_cursors_scope_uq').on(t.definitionId, t.kind, t.targetId).nullsNotDistinct()],
);

/**
 * Keys handed out to items created in SharePoint without one (newItemKeys: generate), recorded
 * before the row is inserted: an ingress repeated after a crash finds the item's key here and
 * never inserts the row twice. An entry goes once the item carries its key and the ledger knows it.
 */
export const keyReservations = pgTable(
  'key_reservations',
  {
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    targetId: uuid('target_id')
      .notNull()
      .references(() => syncTargets.id, { onDelete: 'cascade' }),
    listItemId: text('list_item_id').notNull(),
    sourceKey: text('source_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.definitionId, t.targetId, t.listItemId] }), uniqueIndex('key_reservations_key_uq').on(t.definitionId, t.sourceKey)],
);

/**
 * What the drift check last read of each list (activities/src/drift/mirror.ts): kept current with a
 * Graph delta token, so a check after the first reads only what changed in the list since.
 */
export const listMirrorState = pgTable('list_mirror_state', {
  targetId: uuid('target_id')
    .primaryKey()
    .references(() => syncTargets.id, { onDelete: 'cascade' }),
  /** The list the mirror was read from (a target moved to another list starts over). */
  listId: text('list_id').notNull(),
  /** The fields read (`$select`), sorted: other fields (a mapping changed) start over. */
  fieldsKey: text('fields_key').notNull(),
  /** Null until an enumeration completed. */
  deltaLink: text('delta_link'),
  syncedAt: timestamp('synced_at', { withTimezone: true }),
});

export const listItemMirror = pgTable(
  'list_item_mirror',
  {
    targetId: uuid('target_id')
      .notNull()
      .references(() => syncTargets.id, { onDelete: 'cascade' }),
    itemId: text('item_id').notNull(),
    /** The key column's value; '' when the item has none. */
    sourceKey: text('source_key').notNull(),
    etag: text('etag'),
    fields: jsonb('fields').notNull(),
  },
  (t) => [primaryKey({ columns: [t.targetId, t.itemId] })],
);
