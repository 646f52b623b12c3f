import { sql } from 'drizzle-orm';
import { bigint, boolean, check, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid, real } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './common.ts';
import { apps, databaseInstances, databases, sharepointConnections } from './sources.ts';

export const keyStrategy = pgEnum('key_strategy', ['pk', 'unique', 'composite']);
/**
 * How push finds changed rows: a watermark column (updated_at), a hash compare of every row (full_scan),
 * or PostgreSQL logical replication (a slot and publication SyncBridge manages; the LSN is the cursor).
 */
export const cursorStrategy = pgEnum('cursor_strategy', ['updated_at', 'full_scan', 'logical_replication']);
export const syncDirection = pgEnum('sync_direction', ['push', 'ingress', 'both']);
export const conflictPolicy = pgEnum('conflict_policy', ['source_wins', 'sharepoint_wins', 'latest_wins', 'manual']);
export const targetStrategy = pgEnum('target_strategy', ['single', 'conditional']);
export const mappingDirection = pgEnum('mapping_direction', ['push', 'ingress', 'both']);
/** What ingress does to a row whose list item was deleted: delete it, set its soft-delete column, or leave it. */
export const ingressDeletePolicy = pgEnum('ingress_delete_policy', ['delete', 'soft_delete', 'ignore']);
/** Where ingress takes the key of an item created in SharePoint with empty key columns: nowhere (quarantined), or generated. */
export const newItemKeys = pgEnum('new_item_keys', ['from_list', 'generate']);
/**
 * When push compares the ledger with the source to find hard-deleted rows: on every run (cost grows
 * with the table), at most once per `deleteSweepIntervalSeconds`, or never (deletes come only from the
 * soft-delete column, or are not wanted). A full pass always sweeps.
 */
export const deleteSweep = pgEnum('delete_sweep', ['every_run', 'interval', 'off']);

export const syncDefinitions = pgTable(
  'sync_definitions',
  {
    id: id(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    /** The logical source database; each run resolves one of its instances. */
    databaseId: uuid('database_id')
      .notNull()
      .references(() => databases.id, { onDelete: 'restrict' }),
    /** Pins the definition to one instance of the database; null lets each run choose (primary first, healthy). */
    sourceInstanceId: uuid('source_instance_id').references(() => databaseInstances.id, { onDelete: 'restrict' }),
    sourceSchema: text('source_schema').notNull(),
    sourceTable: text('source_table').notNull(),
    keyStrategy: keyStrategy('key_strategy').notNull(),
    /** Ordered key columns; one for pk/unique on a single column, several for composite. */
    keyColumns: text('key_columns').array().notNull(),
    cursorStrategy: cursorStrategy('cursor_strategy').notNull(),
    cursorColumn: text('cursor_column'),
    /** Seconds re-read behind the watermark, so rows committed late are not skipped. */
    cursorOverlapSeconds: integer('cursor_overlap_seconds').notNull().default(5),
    direction: syncDirection('direction').notNull().default('push'),
    conflictPolicy: conflictPolicy('conflict_policy').notNull().default('source_wins'),
    targetStrategy: targetStrategy('target_strategy').notNull().default('single'),
    ingressDeletePolicy: ingressDeletePolicy('ingress_delete_policy').notNull().default('delete'),
    /**
     * soft_delete: the boolean (set true) or date/timestamp (set to the time) column that marks a
     * row deleted. Push treats a marked row as deleted: it never creates its item and removes it.
     */
    softDeleteColumn: text('soft_delete_column'),
    /**
     * from_list: an item created in SharePoint names its row by its key columns (empty ones: quarantined).
     * generate: empty key columns get a key from the key column's sequence, or a new UUID (sources/new-keys.ts).
     */
    newItemKeys: newItemKeys('new_item_keys').notNull().default('from_list'),
    batchSize: integer('batch_size').notNull().default(500),
    deleteSweep: deleteSweep('delete_sweep').notNull().default('every_run'),
    deleteSweepIntervalSeconds: integer('delete_sweep_interval_seconds'),
    /** When push last compared the whole ledger with the source (set when a sweep completes). */
    lastDeleteSweepAt: timestamp('last_delete_sweep_at', { withTimezone: true }),
    /**
     * logical_replication: the most WAL the definition's slot may hold back on the source (MB). Past half of it the
     * slot's state carries an alarm; past all of it the slot is dropped (the disk never fills) and the next run
     * makes a full pass on a new slot.
     */
    replicationMaxRetainedMb: integer('replication_max_retained_mb').notNull().default(1024),
    /** This definition's weight in its tenant's budget against others of the same priority (fair share). */
    budgetWeight: real('budget_weight').notNull().default(1),
    /** A drift repair of at most this many actions applies without asking; null: every repair waits for approval. */
    driftRepairAutoApproveMax: integer('drift_repair_auto_approve_max'),
    enabled: boolean('enabled').notNull().default(false),
    /**
     * Mass-delete guard: a run that would delete more than this many items of one list, or
     * more than `deleteGuardMaxPercent` percent of it (whichever is smaller), deletes nothing
     * and waits for approval. Null turns that limit off; both null turn the guard off.
     */
    deleteGuardMaxItems: integer('delete_guard_max_items').default(500),
    deleteGuardMaxPercent: integer('delete_guard_max_percent').default(10),
    /** Source schema snapshot the definition was last validated against. */
    sourceSnapshotId: uuid('source_snapshot_id'),
    /**
     * Run lease of push runs started before the operation model (their workflow code takes it);
     * runs started by the definition's coordinator do not use it.
     */
    leaseHolder: text('lease_holder'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sync_definitions_app_name_uq').on(t.appId, t.name),
    check('sync_definitions_cursor_column_ck', sql`${t.cursorStrategy} <> 'updated_at' or ${t.cursorColumn} is not null`),
    check('sync_definitions_key_columns_ck', sql`cardinality(${t.keyColumns}) >= 1`),
    check('sync_definitions_soft_delete_ck', sql`(${t.ingressDeletePolicy} = 'soft_delete') = (${t.softDeleteColumn} is not null)`),
    check('sync_definitions_batch_ck', sql`${t.batchSize} between 1 and 5000`),
    check('sync_definitions_delete_sweep_ck', sql`(${t.deleteSweep} = 'interval') = (${t.deleteSweepIntervalSeconds} is not null)`),
    check('sync_definitions_replication_max_retained_ck', sql`${t.replicationMaxRetainedMb} between 16 and 1048576`),
    check('sync_definitions_delete_sweep_interval_ck', sql`${t.deleteSweepIntervalSeconds} is null or ${t.deleteSweepIntervalSeconds} >= 60`),
    check('sync_definitions_budget_weight_ck', sql`${t.budgetWeight} > 0 and ${t.budgetWeight} <= 100`),
    check(
      'sync_definitions_delete_guard_ck',
      sql`(${t.deleteGuardMaxItems} is null or ${t.deleteGuardMaxItems} >= 0) and (${t.deleteGuardMaxPercent} is null or ${t.deleteGuardMaxPercent} between 0 and 100)`,
    ),
  ],
);

export const syncTargets = pgTable(
  'sync_targets',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => sharepointConnections.id, { onDelete: 'restrict' }),
    siteId: text('site_id').notNull(),
    /** Null until the list is provisioned or adopted. */
    listId: text('list_id'),
    listDisplayName: text('list_display_name').notNull(),
    /** Routing rule (JSON predicate over source columns); null for the default target. */
    routingRule: jsonb('routing_rule'),
    priority: integer('priority').notNull().default(100),
    isDefault: boolean('is_default').notNull().default(false),
    provisionedAt: timestamp('provisioned_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sync_targets_one_default_uq')
      .on(t.definitionId)
      .where(sql`${t.isDefault}`),
    uniqueIndex('sync_targets_list_uq').on(t.definitionId, t.siteId, t.listDisplayName),
  ],
);

export const fieldMappings = pgTable(
  'field_mappings',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    sourceColumn: text('source_column').notNull(),
    /** SharePoint internal column name. */
    targetColumn: text('target_column').notNull(),
    targetType: text('target_type').notNull(),
    converterOptions: jsonb('converter_options').notNull().default({}),
    transforms: jsonb('transforms').notNull().default([]),
    direction: mappingDirection('direction').notNull().default('both'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('field_mappings_source_uq').on(t.definitionId, t.sourceColumn),
    uniqueIndex('field_mappings_target_uq').on(t.definitionId, t.targetColumn),
  ],
);

/**
 * The logical replication slot and publication of a definition with cursor strategy logical_replication:
 * where they live, what the last look at them found (lag, WAL held back, alarm), and how often the slot
 * was lost (each loss made the next run a full pass on a new slot).
 */
export const replicationSlots = pgTable('replication_slots', {
  definitionId: uuid('definition_id')
    .primaryKey()
    .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
  /** The database instance that holds the slot (a rebind to another instance starts a new one there). */
  instanceId: uuid('instance_id')
    .notNull()
    .references(() => databaseInstances.id, { onDelete: 'cascade' }),
  slotName: text('slot_name').notNull(),
  publicationName: text('publication_name').notNull(),
  /** active, or lost (gone, invalidated by the server, or dropped at the size limit) until the next run makes a new one. */
  status: text('status').notNull().default('active'),
  confirmedLsn: text('confirmed_lsn'),
  currentLsn: text('current_lsn'),
  lagBytes: bigint('lag_bytes', { mode: 'number' }),
  retainedBytes: bigint('retained_bytes', { mode: 'number' }),
  /** What needs a person's attention (WAL held back past half the limit; the slot lost), in words; null when fine. */
  alarm: text('alarm'),
  lostCount: integer('lost_count').notNull().default(0),
  lastLostAt: timestamp('last_lost_at', { withTimezone: true }),
  lastLostReason: text('last_lost_reason'),
  checkedAt: timestamp('checked_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
