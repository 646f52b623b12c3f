import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import { MAX_IDENTIFIER_LENGTH } from '@syncbridge/shared/sources';
import { assertDefinitionIdle, GUARDED_DEFINITION_FIELDS } from '@syncbridge/shared/domain';
import type { App, ApiDeps } from '../lib/context.ts';
import { registerCrud } from '../lib/crud.ts';
import { checkIngressWritable, checkLogicalCapture, dropChangeCapture, validateDefinitionSource } from '../lib/definition-source.ts';
import { sourceWarningsOf, SourceWarningSchema } from '../lib/definition-warnings.ts';
import { amendRouteDocs } from '../lib/openapi-amend.ts';
import {
  cronExpression,
  MIN_SCHEDULE_SECONDS,
  pushScheduleShorthand,
  removeDefinitionSchedules,
  saveScheduleShorthand,
  syncDefinitionSchedules,
} from '../lib/schedules.ts';
import { recheckHeldRuns } from '../lib/held-runs.ts';
import { ApiError, ErrorCode, type FieldError } from '../lib/problem.ts';
import { sourceUnavailableResponse } from '../lib/source-schema.ts';
import { name, timestamps, uuidFilter, uuidRef } from './common.ts';

type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

/**
 * Source names are always quoted, never interpolated. The cap here is the longest any engine
 * allows; the source's own limit (PostgreSQL: 63 bytes) is checked against its engine (422).
 */
const identifier = (description: string) => z.string().min(1).max(MAX_IDENTIFIER_LENGTH).openapi({ description });

const fields = {
  name: name('Definition name, unique per app'),
  databaseId: uuidRef('The source database; each run reads from one of its instances (the primary, or a healthy replica by priority, unless pinned)'),
  sourceInstanceId: uuidRef(
    'Pins the definition to this instance of its database (null: each run picks one). Giving only this also sets databaseId',
  ).nullable(),
  sourceSchema: identifier('Source schema, e.g. public'),
  sourceTable: identifier('Source table'),
  keyStrategy: z.enum(schema.keyStrategy.enumValues).openapi({ description: 'pk, unique (a unique constraint) or composite (several columns)' }),
  keyColumns: z.array(identifier('Key column')).min(1).max(16).openapi({ description: 'Key columns in order' }),
  cursorStrategy: z.enum(schema.cursorStrategy.enumValues).openapi({
    description:
      "How push finds changed rows: updated_at (a watermark column), full_scan (hash compare of every row), or logical_replication (PostgreSQL only: a replication slot and publication SyncBridge creates, watches and drops with the definition; changes and deletions are read from the server's log and pushed within seconds of their COMMIT, with no schedule needed). logical_replication needs wal_level=logical, a role that may create replication slots (superuser or REPLICATION) and publications, and a table whose replica identity carries the key (its primary key, or REPLICA IDENTITY FULL); it is checked live (422 naming body.cursorStrategy with the reasons)",
  }),
  cursorColumn: identifier('Watermark column for updated_at').nullable(),
  cursorOverlapSeconds: z.number().int().min(0).max(3600),
  direction: z.enum(schema.syncDirection.enumValues),
  conflictPolicy: z.enum(schema.conflictPolicy.enumValues),
  targetStrategy: z.enum(schema.targetStrategy.enumValues),
  scheduleCron: cronExpression.nullable().openapi({
    description: 'Shorthand for the push schedule (see /v1/sync-definitions/{id}/schedules): a cron expression in UTC',
  }),
  scheduleIntervalSeconds: z
    .number()
    .int()
    .min(MIN_SCHEDULE_SECONDS)
    .max(86_400 * 7)
    .nullable()
    .openapi({ description: 'Shorthand for the push schedule: every this many seconds' }),
  batchSize: z.number().int().min(1).max(5000),
  enabled: z.boolean(),
  ingressDeletePolicy: z.enum(schema.ingressDeletePolicy.enumValues).openapi({
    description:
      'What ingress does to the row of an item deleted in the list: delete (the default) deletes it; soft_delete sets softDeleteColumn (true, or the deletion time) and push then treats the row as deleted; ignore leaves the row, and its next change creates the item again',
  }),
  softDeleteColumn: identifier(
    'The column soft_delete marks: a boolean (set true) or a date/timestamp column (set to the deletion time). Required with soft_delete, null otherwise. A row marked in the table (by anyone) is removed from its list by the next push',
  ).nullable(),
  driftRepairAutoApproveMax: z.number().int().min(0).max(1_000_000).nullable().openapi({
    description:
      'A drift repair whose plan has at most this many actions applies without asking; a larger one waits for POST /v1/sync-runs/{id}/approve-plan. Null (the default): every repair waits.',
  }),
  newItemKeys: z.enum(schema.newItemKeys.enumValues).openapi({
    description:
      "Where ingress takes the key of an item created in SharePoint whose key columns are empty: from_list (the default) quarantines such an item with the reason; generate gives it a key from the key column's sequence (PostgreSQL serial or identity, a nextval / NEXT VALUE FOR default) or a new UUID (uuid key), reserved before the row is written so a retried write never creates it twice, and writes the key back to the item. Needs a single-column key with such a generator; MySQL/MariaDB AUTO_INCREMENT cannot reserve a value ahead of the insert and is refused",
  }),
  deleteSweep: z.enum(schema.deleteSweep.enumValues).openapi({
    description:
      'When push compares the ledger with the table to find hard-deleted rows: every_run (the default; its cost grows with the table), interval (at most once per deleteSweepIntervalSeconds: incremental runs in between cost only what changed), or off (deletes come only from softDeleteColumn, or are not wanted). A full pass always sweeps. Rows marked in softDeleteColumn are removed by the run that reads them, whatever this says',
  }),
  deleteSweepIntervalSeconds: z
    .number()
    .int()
    .min(60)
    .max(86_400 * 30)
    .nullable()
    .openapi({ description: 'With deleteSweep interval: the least time between two sweeps. Required with interval, null otherwise' }),
  replicationMaxRetainedMb: z.number().int().min(16).max(1_048_576).openapi({
    description:
      "logical_replication: the most WAL (MB) the definition's slot may hold back on the source (default 1024). Past half of it the replication state carries an alarm (GET /v1/sync-definitions/{id}/replication); past all of it the slot is dropped, so the server's disk never fills, and the next run makes a full pass on a new slot",
  }),
  budgetWeight: z.number().gt(0).max(100).openapi({
    description:
      "This definition's weight in its tenant's resource-unit budget against other definitions' work of the same priority (default 1): at 2 it gets twice the share of one at 1 when both wait",
  }),
  deleteGuardMaxItems: z.number().int().min(0).max(100_000_000).nullable().openapi({
    description:
      'Mass-delete guard: a run that would delete more items than this from one list deletes nothing and waits for approval (POST /v1/sync-runs/{id}/approve-deletions). Null: no absolute limit. Default 500.',
  }),
  deleteGuardMaxPercent: z.number().int().min(0).max(100).nullable().openapi({
    description:
      "Mass-delete guard: the same, as a percentage of the list's items (whichever limit is smaller applies; at least one item may always go). Null: no percentage limit; both null turn the guard off. Default 10.",
  }),
};

type DefinitionShape = Partial<{ [K in keyof typeof fields]: z.infer<(typeof fields)[K]> }>;

/** Rules across fields, checked on create and on the merged result of a patch. */
export function definitionRules(d: DefinitionShape): FieldError[] {
  const out: FieldError[] = [];
  const keys = d.keyColumns ?? [];
  if (d.keyStrategy === 'composite' && keys.length < 2) out.push({ field: 'body.keyColumns', message: 'a composite key needs at least two columns' });
  if (new Set(keys).size !== keys.length) out.push({ field: 'body.keyColumns', message: 'key columns must be distinct' });
  if (d.cursorStrategy === 'updated_at' && !d.cursorColumn) out.push({ field: 'body.cursorColumn', message: 'required when cursorStrategy is updated_at' });
  if ((d.cursorStrategy === 'full_scan' || d.cursorStrategy === 'logical_replication') && d.cursorColumn)
    out.push({ field: 'body.cursorColumn', message: `must be null when cursorStrategy is ${d.cursorStrategy}` });
  if (d.ingressDeletePolicy === 'soft_delete' && !d.softDeleteColumn)
    out.push({
      field: 'body.softDeleteColumn',
      message: 'required when ingressDeletePolicy is soft_delete: the boolean or date/timestamp column that marks a row deleted',
    });
  if (d.ingressDeletePolicy !== 'soft_delete' && d.softDeleteColumn)
    out.push({ field: 'body.softDeleteColumn', message: 'only used with ingressDeletePolicy soft_delete; set it to null or choose soft_delete' });
  if (d.softDeleteColumn && keys.includes(d.softDeleteColumn)) out.push({ field: 'body.softDeleteColumn', message: 'a key column cannot mark a row deleted' });
  if (d.deleteSweep === 'interval' && !d.deleteSweepIntervalSeconds)
    out.push({ field: 'body.deleteSweepIntervalSeconds', message: 'required when deleteSweep is interval: the least seconds between two sweeps' });
  if (d.deleteSweep !== 'interval' && d.deleteSweepIntervalSeconds)
    out.push({ field: 'body.deleteSweepIntervalSeconds', message: 'only used with deleteSweep interval; set it to null or choose interval' });
  if (d.scheduleCron && d.scheduleIntervalSeconds)
    out.push({ field: 'body.scheduleCron', message: 'give either scheduleCron or scheduleIntervalSeconds, not both' });
  return out;
}

const DefinitionSchema = z
  .object({
    id: z.string().uuid(),
    appId: z.string().uuid(),
    ...fields,
    sourceSnapshotId: z.string().uuid().nullable().openapi({
      description: 'The source schema snapshot (schema_snapshots) the definition was last validated against; read-only',
    }),
    sourceWarnings: z.array(SourceWarningSchema).openapi({
      description:
        'What works but is slower or narrower than it looks, from the snapshot the definition was validated against (read-only): a watermark column no index starts with, ingress asked of a relation SyncBridge only reads',
    }),
    ...timestamps,
  })
  .openapi('SyncDefinition');

const CreateDefinition = z
  .object({
    appId: uuidRef('Owning app'),
    ...fields,
    databaseId: fields.databaseId.optional(),
    sourceInstanceId: fields.sourceInstanceId.optional(),
    cursorColumn: fields.cursorColumn.optional(),
    cursorOverlapSeconds: fields.cursorOverlapSeconds.optional(),
    direction: fields.direction.optional(),
    conflictPolicy: fields.conflictPolicy.optional(),
    targetStrategy: fields.targetStrategy.optional(),
    scheduleCron: fields.scheduleCron.optional(),
    scheduleIntervalSeconds: fields.scheduleIntervalSeconds.optional(),
    batchSize: fields.batchSize.optional(),
    enabled: fields.enabled.optional(),
    ingressDeletePolicy: fields.ingressDeletePolicy.optional(),
    softDeleteColumn: fields.softDeleteColumn.optional(),
    newItemKeys: fields.newItemKeys.optional(),
    driftRepairAutoApproveMax: fields.driftRepairAutoApproveMax.optional(),
    deleteGuardMaxItems: fields.deleteGuardMaxItems.optional(),
    deleteGuardMaxPercent: fields.deleteGuardMaxPercent.optional(),
    deleteSweep: fields.deleteSweep.optional(),
    deleteSweepIntervalSeconds: fields.deleteSweepIntervalSeconds.optional(),
    budgetWeight: fields.budgetWeight.optional(),
    replicationMaxRetainedMb: fields.replicationMaxRetainedMb.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    for (const e of definitionRules(d)) ctx.addIssue({ code: 'custom', path: [e.field.replace(/^body\./, '')], message: e.message });
    if (!d.databaseId && !d.sourceInstanceId)
      ctx.addIssue({ code: 'custom', path: ['databaseId'], message: 'give the source database (databaseId), or pin an instance (sourceInstanceId)' });
  })
  .openapi('CreateSyncDefinition');

const UpdateDefinition = z.object(fields).partial().strict().openapi('UpdateSyncDefinition');

const toResponse = (r: DefinitionRow) => ({
  id: r.id,
  appId: r.appId,
  name: r.name,
  databaseId: r.databaseId,
  sourceInstanceId: r.sourceInstanceId,
  sourceSchema: r.sourceSchema,
  sourceTable: r.sourceTable,
  keyStrategy: r.keyStrategy,
  keyColumns: r.keyColumns,
  cursorStrategy: r.cursorStrategy,
  cursorColumn: r.cursorColumn,
  cursorOverlapSeconds: r.cursorOverlapSeconds,
  direction: r.direction,
  conflictPolicy: r.conflictPolicy,
  targetStrategy: r.targetStrategy,
  batchSize: r.batchSize,
  enabled: r.enabled,
  ingressDeletePolicy: r.ingressDeletePolicy,
  softDeleteColumn: r.softDeleteColumn,
  newItemKeys: r.newItemKeys,
  driftRepairAutoApproveMax: r.driftRepairAutoApproveMax,
  deleteGuardMaxItems: r.deleteGuardMaxItems,
  deleteGuardMaxPercent: r.deleteGuardMaxPercent,
  deleteSweep: r.deleteSweep,
  deleteSweepIntervalSeconds: r.deleteSweepIntervalSeconds,
  budgetWeight: r.budgetWeight,
  replicationMaxRetainedMb: r.replicationMaxRetainedMb,
  sourceSnapshotId: r.sourceSnapshotId,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** The fields that decide what is read from the source and how rows are keyed: changing one re-validates against it. */
const SOURCE_FIELDS = [
  'databaseId',
  'sourceInstanceId',
  'sourceSchema',
  'sourceTable',
  'keyStrategy',
  'keyColumns',
  'cursorStrategy',
  'cursorColumn',
  'softDeleteColumn',
  'newItemKeys',
] as const;
/** Schedule shorthand: kept in operation_schedules, not in the definition's row. */
const SCHEDULE_FIELDS = ['scheduleCron', 'scheduleIntervalSeconds'] as const;

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const withoutSchedule = <T extends Record<string, unknown>>(b: T) =>
  Object.fromEntries(Object.entries(b).filter(([k]) => !(SCHEDULE_FIELDS as readonly string[]).includes(k)));

export function registerSyncDefinitions(app: App, deps: ApiDeps) {
  registerCrud<DefinitionRow, z.infer<typeof CreateDefinition>, z.infer<typeof UpdateDefinition>>(app, deps, {
    basePath: '/v1/sync-definitions',
    tag: 'Sync definitions',
    singular: 'SyncDefinition',
    table: schema.syncDefinitions,
    response: DefinitionSchema,
    create: CreateDefinition,
    update: UpdateDefinition,
    writeRole: 'operator',
    listFilters: { appId: { column: schema.syncDefinitions.appId, schema: uuidFilter('Only definitions of this app') } },
    toResponse,
    decorate: async (rows, bodies) => {
      const shorthand = await pushScheduleShorthand(
        deps,
        rows.map((r) => r.id),
      );
      const warnings = await sourceWarningsOf(deps, rows);
      return bodies.map((b, i) => ({
        ...b,
        ...(shorthand.get(rows[i]!.id) ?? { scheduleCron: null, scheduleIntervalSeconds: null }),
        sourceWarnings: warnings.get(rows[i]!.id) ?? [],
      }));
    },
    toInsert: async (b) => {
      const bound = await validateDefinitionSource(deps, {
        ...b,
        cursorColumn: b.cursorColumn ?? null,
        softDeleteColumn: b.softDeleteColumn ?? null,
        newItemKeys: b.newItemKeys,
      });
      await checkIngressWritable(deps, { ...b, ...bound, cursorColumn: b.cursorColumn ?? null, direction: b.direction ?? 'push' });
      await checkLogicalCapture(deps, { ...b, ...bound, cursorColumn: b.cursorColumn ?? null });
      return { ...withoutSchedule(b), ...bound };
    },
    toPatch: async (body, _deps, existing) => {
      // Leaving soft_delete drops its column unless the patch names one (which the rules then refuse).
      // Leaving interval sweeps drops the interval the same way.
      const b0 =
        body.ingressDeletePolicy && body.ingressDeletePolicy !== 'soft_delete' && !('softDeleteColumn' in body) ? { ...body, softDeleteColumn: null } : body;
      const b = b0.deleteSweep && b0.deleteSweep !== 'interval' && !('deleteSweepIntervalSeconds' in b0) ? { ...b0, deleteSweepIntervalSeconds: null } : b0;
      const changed = SOURCE_FIELDS.some((f) => f in b && !sameValue(b[f], existing[f]));
      // Writing to the table (ingress, both) needs a table the source lets SyncBridge write: checked when the direction or the source changes.
      if ((changed || ('direction' in b && b.direction !== existing.direction)) && b.direction !== 'push') {
        const merged = { ...existing, ...b };
        await checkIngressWritable(deps, { ...merged, ...('sourceInstanceId' in b && !('databaseId' in b) && b.sourceInstanceId ? { databaseId: null } : {}) });
      }
      if (!changed) return withoutSchedule(b);
      const merged = { ...existing, ...b };
      // The cross-field rules first (as the factory would after this hook): a 400 beats a trip to the source.
      const problems = definitionRules(merged);
      if (problems.length) {
        throw new ApiError(400, ErrorCode.ValidationFailed, `invalid request: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
      }
      // A new pin alone moves the definition to that instance's database.
      const pinOnly = 'sourceInstanceId' in b && !('databaseId' in b) && b.sourceInstanceId;
      const binding = { ...merged, ...(pinOnly ? { databaseId: null } : {}) };
      const bound = await validateDefinitionSource(deps, binding);
      await checkLogicalCapture(deps, { ...binding, ...bound });
      return { ...withoutSchedule(b), ...bound };
    },
    validateMerged: (m) => definitionRules(m),
    // What a writer reads may not change under it (docs/design/operations.md).
    guardWrite: async (tx, w) => {
      if (!w.existing) return;
      if (w.op === 'delete') return assertDefinitionIdle(tx, w.existing.id, 'the definition');
      const guarded = (GUARDED_DEFINITION_FIELDS as readonly string[]).filter(
        (f) => f in (w.patch ?? {}) && !sameValue(w.patch![f], (w.existing as Record<string, unknown>)[f]),
      );
      if (guarded.length) await assertDefinitionIdle(tx, w.existing.id, `the definition's ${guarded.join(', ')}`);
    },
    afterWrite: async (row, _deps, body) => {
      // A definition that stopped reading the log lets go of its slot (the server would keep WAL for it).
      if (row.cursorStrategy !== 'logical_replication') await dropChangeCapture(deps, { ...row, cursorStrategy: 'none' });
      await saveScheduleShorthand(deps, row.id, body);
      await syncDefinitionSchedules(deps, row.id);
      // New guard limits may release a run the mass-delete guard holds.
      await recheckHeldRuns(deps, row.id);
    },
    afterDelete: async (row) => {
      await removeDefinitionSchedules(deps, row.id);
      await dropChangeCapture(deps, row);
    },
  });

  const validated = [
    "The source table is introspected live (with the instance's stored credentials) and the key and cursor are checked against it:",
    'a key that is not the primary key / a unique constraint / a superset of one, a nullable or float key column, or a cursor column that is not a timestamp, date or integer is a 422 naming `body.keyColumns` / `body.cursorColumn`;',
    'the message names the columns that could be the cursor, or suggests cursorStrategy full_scan when the table has none;',
    'a missing table is a 422 naming schema.table, and so is a partition (name its partitioned table instead); an unreachable source is a 503 and nothing is saved.',
    'The snapshot the definition was checked against is recorded as `sourceSnapshotId`; `sourceWarnings` says what works but is slow or narrower than it looks (a watermark column without an index, ingress asked of a view).',
    'Names longer than the source engine allows (PostgreSQL: 63 bytes) are a 422 naming the field.',
    'A direction that writes to the table (ingress, both) is checked live against the instance a run would use: a view, a table without a unique key, a non-transactional table (MyISAM), a missing INSERT/UPDATE/DELETE privilege or a read-only server is a 422 naming `body.direction` with the reason.',
    "The database (and a pinned instance) must belong to the definition's app: another app's is a 422 naming `body.databaseId` / `body.sourceInstanceId` and both apps, checked before any connection is made.",
    'The instance introspected is the one a run would use now: the pinned one, or the primary (a healthy replica by priority when the primary is unhealthy).',
    'Changing what a writer reads (source, keys, cursor, routing strategy, direction) while an operation that writes is queued, running or awaiting approval is a 409 naming that run.',
  ].join(' ');
  amendRouteDocs(app, 'post', '/v1/sync-definitions', { description: validated, responses: sourceUnavailableResponse });
  amendRouteDocs(app, 'patch', '/v1/sync-definitions/{id}', {
    description: `When the patch changes ${SOURCE_FIELDS.join(', ')}: ${validated}`,
    responses: sourceUnavailableResponse,
  });
}
