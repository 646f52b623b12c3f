import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { registerCrud } from '../lib/crud.ts';
import { deletePushSchedule, reconcilePushSchedule } from '../lib/schedules.ts';
import type { FieldError } from '../lib/problem.ts';
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

const DefinitionSchema = z.object({ id: z.string().uuid(), appId: z.string().uuid(), ...fields, ...timestamps }).openapi('SyncDefinition');

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
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

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
    toInsert: (b) => ({ ...b }),
    toPatch: (b) => ({ ...b }),
    validateMerged: (m) => definitionRules(m),
    afterWrite: (row) => reconcilePushSchedule(deps.temporal, row),
    afterDelete: (row) => deletePushSchedule(deps.temporal, row.id),
  });
}
