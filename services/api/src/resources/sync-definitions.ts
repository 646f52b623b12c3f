import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import { validateCursor, validateKeyStrategy } from '@syncbridge/shared/mapping';
import { findTable } from '@syncbridge/shared/sources';
import type { App, ApiDeps } from '../lib/context.ts';
import { assertInstanceInApp } from '../lib/app-scope.ts';
import { registerCrud } from '../lib/crud.ts';
import { amendRouteDocs } from '../lib/openapi-amend.ts';
import { deletePushSchedule, reconcilePushSchedule } from '../lib/schedules.ts';
import { recheckHeldRuns } from '../lib/held-runs.ts';
import { ApiError, ErrorCode, type FieldError } from '../lib/problem.ts';
import { recordSnapshot, scopeOf } from '@syncbridge/shared/schema-snapshots';
import { describeInstance, findSourceInstance, introspectSource, sourceUnavailableResponse } from '../lib/source-schema.ts';
import { name, timestamps, uuidFilter, uuidRef } from './common.ts';

type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

/** PostgreSQL identifiers are at most 63 bytes; they are always quoted, never interpolated. */
const identifier = (description: string) => z.string().min(1).max(63).openapi({ description });

const CRON_FIELD = /^[0-9A-Za-z*/,\-?LW#]+$/;
const isCron = (v: string) => {
  if (v.startsWith('@')) return /^@(yearly|annually|monthly|weekly|daily|hourly|every \S+)$/.test(v);
  const fields = v.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
};

const fields = {
  name: name('Definition name, unique per app'),
  sourceInstanceId: uuidRef('Database instance rows are read from'),
  sourceSchema: identifier('Source schema, e.g. public'),
  sourceTable: identifier('Source table'),
  keyStrategy: z.enum(schema.keyStrategy.enumValues).openapi({ description: 'pk, unique (a unique constraint) or composite (several columns)' }),
  keyColumns: z.array(identifier('Key column')).min(1).max(16).openapi({ description: 'Key columns in order' }),
  cursorStrategy: z.enum(schema.cursorStrategy.enumValues).openapi({ description: 'updated_at (watermark column) or full_scan (hash compare)' }),
  cursorColumn: identifier('Watermark column for updated_at').nullable(),
  cursorOverlapSeconds: z.number().int().min(0).max(3600),
  direction: z.enum(schema.syncDirection.enumValues),
  conflictPolicy: z.enum(schema.conflictPolicy.enumValues),
  targetStrategy: z.enum(schema.targetStrategy.enumValues),
  scheduleCron: z.string().refine(isCron, 'must be a 5-field cron expression (UTC) or @hourly/@daily/@every <duration>').nullable(),
  scheduleIntervalSeconds: z.number().int().min(10).max(86_400 * 7).nullable(),
  batchSize: z.number().int().min(1).max(5000),
  enabled: z.boolean(),
  deleteGuardMaxItems: z.number().int().min(0).max(100_000_000).nullable().openapi({
    description:
      'Mass-delete guard: a run that would delete more items than this from one list deletes nothing and waits for approval (POST /v1/sync-runs/{id}/approve-deletions). Null: no absolute limit. Default 500.',
  }),
  deleteGuardMaxPercent: z.number().int().min(0).max(100).nullable().openapi({
    description:
      'Mass-delete guard: the same, as a percentage of the list\'s items (whichever limit is smaller applies; at least one item may always go). Null: no percentage limit; both null turn the guard off. Default 10.',
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
  if (d.cursorStrategy === 'full_scan' && d.cursorColumn) out.push({ field: 'body.cursorColumn', message: 'must be null when cursorStrategy is full_scan' });
  if (d.scheduleCron && d.scheduleIntervalSeconds) out.push({ field: 'body.scheduleCron', message: 'give either scheduleCron or scheduleIntervalSeconds, not both' });
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
    ...timestamps,
  })
  .openapi('SyncDefinition');

const CreateDefinition = z
  .object({
    appId: uuidRef('Owning app'),
    ...fields,
    cursorColumn: fields.cursorColumn.optional(),
    cursorOverlapSeconds: fields.cursorOverlapSeconds.optional(),
    direction: fields.direction.optional(),
    conflictPolicy: fields.conflictPolicy.optional(),
    targetStrategy: fields.targetStrategy.optional(),
    scheduleCron: fields.scheduleCron.optional(),
    scheduleIntervalSeconds: fields.scheduleIntervalSeconds.optional(),
    batchSize: fields.batchSize.optional(),
    enabled: fields.enabled.optional(),
    deleteGuardMaxItems: fields.deleteGuardMaxItems.optional(),
    deleteGuardMaxPercent: fields.deleteGuardMaxPercent.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    for (const e of definitionRules(d)) ctx.addIssue({ code: 'custom', path: [e.field.replace(/^body\./, '')], message: e.message });
  })
  .openapi('CreateSyncDefinition');

const UpdateDefinition = z.object(fields).partial().strict().openapi('UpdateSyncDefinition');

const toResponse = (r: DefinitionRow) => ({
  id: r.id,
  appId: r.appId,
  name: r.name,
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
  scheduleCron: r.scheduleCron,
  scheduleIntervalSeconds: r.scheduleIntervalSeconds,
  batchSize: r.batchSize,
  enabled: r.enabled,
  deleteGuardMaxItems: r.deleteGuardMaxItems,
  deleteGuardMaxPercent: r.deleteGuardMaxPercent,
  sourceSnapshotId: r.sourceSnapshotId,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** The fields that decide what is read from the source and how rows are keyed: changing one re-validates against it. */
const SOURCE_FIELDS = ['sourceInstanceId', 'sourceSchema', 'sourceTable', 'keyStrategy', 'keyColumns', 'cursorStrategy', 'cursorColumn'] as const;
type SourceFields = Pick<DefinitionRow, (typeof SOURCE_FIELDS)[number]>;

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Checks the key and cursor against the source table as it is now (a live introspection)
 * and records the snapshot it was checked against. Throws 422 naming the fields that do not
 * fit (or the missing table), 503 when the source cannot be reached; nothing is saved then.
 */
async function validateAgainstSource(deps: ApiDeps, d: SourceFields & Pick<DefinitionRow, 'appId'>): Promise<string> {
  const source = await findSourceInstance(deps, d.sourceInstanceId);
  if (!source) {
    const message = `database instance ${d.sourceInstanceId} does not exist`;
    throw new ApiError(422, ErrorCode.InvalidReference, message, [{ field: 'body.sourceInstanceId', message }]);
  }
  // Before introspecting: another app's database is not even connected to with its credentials.
  await assertInstanceInApp(deps, d.sourceInstanceId, d.appId);
  const filter = { schema: d.sourceSchema, table: d.sourceTable };
  const snapshot = await introspectSource(deps, source, filter, 'the definition cannot be validated now, so nothing was saved; retry when the source is reachable');
  const table = findTable(snapshot, d.sourceSchema, d.sourceTable);
  if (!table) {
    const message = `table ${d.sourceSchema}.${d.sourceTable} does not exist on ${describeInstance(source.instance)} (or its user cannot see it)`;
    throw new ApiError(422, ErrorCode.ValidationFailed, message, [{ field: 'body.sourceTable', message }]);
  }
  if (table.kind === 'partition') {
    // Rows are read from the partitioned table (which reads every partition); a partition alone would lose rows that move between partitions.
    const root = table.partitionRoot ?? table.partitionOf ?? 'its partitioned table';
    const via = table.partitionRoot && table.partitionOf && table.partitionRoot !== table.partitionOf ? ` (itself a partition of ${table.partitionRoot})` : '';
    const message = `${table.schema}.${table.name} is a partition of ${table.partitionOf ?? root}${via}; sync the partitioned table ${root} instead`;
    throw new ApiError(422, ErrorCode.ValidationFailed, message, [{ field: 'body.sourceTable', message }]);
  }
  const issues = [...validateKeyStrategy(table, d.keyStrategy, d.keyColumns), ...validateCursor(table, d.cursorStrategy, d.cursorColumn)];
  if (issues.length) {
    const errors = issues.map((i) => ({ field: `body.${i.field}`, message: i.message }));
    throw new ApiError(
      422,
      ErrorCode.ValidationFailed,
      `the definition does not fit the source table ${table.schema}.${table.name}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      errors,
    );
  }
  const recorded = await recordSnapshot(deps.store.db, source.instance.id, scopeOf(filter), snapshot);
  return recorded.id;
}

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
    toInsert: async (b) => ({
      ...b,
      sourceSnapshotId: await validateAgainstSource(deps, { ...b, cursorColumn: b.cursorColumn ?? null }),
    }),
    toPatch: async (b, _deps, existing) => {
      const changed = SOURCE_FIELDS.some((f) => f in b && !sameValue(b[f], existing[f]));
      if (!changed) return { ...b };
      const merged = { ...existing, ...b };
      // The cross-field rules first (as the factory would after this hook): a 400 beats a trip to the source.
      const problems = definitionRules(merged);
      if (problems.length) {
        throw new ApiError(400, ErrorCode.ValidationFailed, `invalid request: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
      }
      return { ...b, sourceSnapshotId: await validateAgainstSource(deps, merged) };
    },
    validateMerged: (m) => definitionRules(m),
    afterWrite: async (row) => {
      await reconcilePushSchedule(deps.temporal, row);
      // New guard limits may release a run the mass-delete guard holds.
      await recheckHeldRuns(deps, row.id);
    },
    afterDelete: (row) => deletePushSchedule(deps.temporal, row.id),
  });

  const validated = [
    'The source table is introspected live (with the instance\'s stored credentials) and the key and cursor are checked against it:',
    'a key that is not the primary key / a unique constraint / a superset of one, a nullable or float key column, or a cursor column that is not a timestamp, date or integer is a 422 naming `body.keyColumns` / `body.cursorColumn`;',
    'the message names the columns that could be the cursor, or suggests cursorStrategy full_scan when the table has none;',
    'a missing table is a 422 naming schema.table, and so is a partition (name its partitioned table instead); an unreachable source is a 503 and nothing is saved.',
    'The snapshot the definition was checked against is recorded as `sourceSnapshotId`.',
    'The source instance must belong to the definition\'s app (through its database): another app\'s instance is a 422 naming `body.sourceInstanceId` and both apps, checked before any connection is made.',
  ].join(' ');
  amendRouteDocs(app, 'post', '/v1/sync-definitions', { description: validated, responses: sourceUnavailableResponse });
  amendRouteDocs(app, 'patch', '/v1/sync-definitions/{id}', {
    description: `When the patch changes ${SOURCE_FIELDS.join(', ')}: ${validated}`,
    responses: sourceUnavailableResponse,
  });
}
