import { createRoute, z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { assertDefinitionIdle } from '@syncbridge/shared/domain';
import {
  canonicalJson,
  proposeMappings,
  SHAREPOINT_COLUMN_TYPES,
  validateMappings,
  type FieldMappingSpec,
  type ValidationIssue,
} from '@syncbridge/shared/mapping';
import { recordSnapshot, scopeOf } from '@syncbridge/shared/schema-snapshots';
import { findTable, MAX_IDENTIFIER_LENGTH, type IntrospectedTable } from '@syncbridge/shared/sources';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { registerCrud } from '../lib/crud.ts';
import { ListColumnSchema } from '../lib/list-columns.ts';
import { amendRouteDocs } from '../lib/openapi-amend.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound, type FieldError } from '../lib/problem.ts';
import { describeInstance, introspectSource, sourceUnavailableResponse } from '../lib/source-schema.ts';
import { resolveBinding } from '../lib/definition-source.ts';
import { timestamps } from './common.ts';
import {
  keyAndTitle,
  ProposalExtras,
  ProposeOptionsFields,
  readOnlyProposalFields,
  recordedSourceTable,
  SENSITIVE_DOCS,
  withListColumns,
} from './field-mapping-proposal.ts';

type MappingRow = typeof schema.fieldMappings.$inferSelect;
type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

const Transform = z.discriminatedUnion('op', [
  z.object({ op: z.literal('trim') }).strict(),
  z.object({ op: z.literal('upper') }).strict(),
  z.object({ op: z.literal('lower') }).strict(),
  z
    .object({
      op: z.literal('regex_replace'),
      pattern: z.string().min(1).max(500),
      flags: z
        .string()
        .regex(/^[gimsu]*$/, 'flags are g, i, m, s and u')
        .optional(),
      replacement: z.string().max(500),
    })
    .strict()
    // Malformed JavaScript is a 400 here; valid JavaScript the linear-time engine cannot run
    // (backreferences, lookaround) is a 422 from validateMappings, naming the same field.
    .refine(
      (t) => {
        try {
          new RegExp(t.pattern, t.flags);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'pattern is not a valid regular expression', path: ['pattern'] },
    ),
]);

const fields = {
  sourceColumn: z.string().min(1).max(MAX_IDENTIFIER_LENGTH),
  targetColumn: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/, 'must be a SharePoint internal name: a letter or _, then letters, digits or _, at most 32 characters'),
  targetType: z.enum(SHAREPOINT_COLUMN_TYPES),
  converterOptions: z.record(z.string(), z.unknown()),
  transforms: z.array(Transform).max(10),
  direction: z.enum(schema.mappingDirection.enumValues),
};

const listColumn = ListColumnSchema.nullable().openapi({
  description: [
    'The list column this mapping produces, derived from the same column definition provisioning sends (before provisioning)',
    "and shaped like GET .../lists/{listId}/columns (after it). For a mapping to Title: SharePoint's own Title column, which provisioning never creates.",
    'null when the source column is not in the source table.',
  ].join(' '),
});
export const MappingSchema = z
  .object({ id: z.string().uuid(), definitionId: z.string().uuid(), ...fields, listColumn, ...timestamps })
  .openapi('FieldMapping', {
    description:
      'listColumn is derived from the latest recorded snapshot of the source table (taken whenever the definition or its mappings are saved, on provisioning and by the schema endpoint)',
  });
const CreateMapping = z
  .object({ ...fields, converterOptions: fields.converterOptions.optional(), transforms: fields.transforms.optional(), direction: fields.direction.optional() })
  .strict()
  .openapi('CreateFieldMapping');
const UpdateMapping = z.object(fields).partial().strict().openapi('UpdateFieldMapping');

const MAX_MAPPINGS = 500;
const ReplaceMappings = z
  .object({
    mappings: z.array(CreateMapping.extend(readOnlyProposalFields)).max(MAX_MAPPINGS).openapi({
      description:
        "The complete new mapping set; mappings of source columns not listed are removed. A proposal's items may be sent as they are: their listColumn and warnings are ignored",
    }),
  })
  .strict()
  .openapi('ReplaceFieldMappings');
const MappingList = z.object({ items: z.array(MappingSchema) }).openapi('FieldMappingList');
const ProposedMapping = z
  .object({
    ...fields,
    listColumn,
    warnings: z
      .array(z.string())
      .openapi({ description: 'Why this mapping deserves a second look (a sensitive column proposed because it is a key or was opted in); usually empty' }),
  })
  .openapi('ProposedFieldMapping');
const ProposeRequest = z
  .object({
    exclude: z.array(z.string().min(1).max(MAX_IDENTIFIER_LENGTH)).max(1600).optional().openapi({ description: 'Source columns to leave out' }),
    ...ProposeOptionsFields,
  })
  .strict()
  .openapi('ProposeFieldMappings');
export const Proposal = z
  .object({
    table: z.object({ schema: z.string(), name: z.string() }),
    items: z.array(ProposedMapping).openapi({
      description: 'One mapping per column, in column order, minus sensitive columns not opted in; send them to PUT .../field-mappings to use them',
    }),
    ...ProposalExtras,
    issues: z.array(z.object({ field: z.string(), message: z.string() })).openapi({ description: 'Problems the proposal would have (normally none)' }),
  })
  .openapi('FieldMappingProposal');

const toResponse = (r: MappingRow) => ({
  id: r.id,
  definitionId: r.definitionId,
  sourceColumn: r.sourceColumn,
  targetColumn: r.targetColumn,
  targetType: r.targetType as (typeof SHAREPOINT_COLUMN_TYPES)[number],
  converterOptions: (r.converterOptions ?? {}) as Record<string, unknown>,
  transforms: (r.transforms ?? []) as Array<z.infer<typeof Transform>>,
  direction: r.direction,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

type MappingInput = z.infer<typeof CreateMapping>;

const specOf = (m: MappingInput | MappingRow): FieldMappingSpec => ({
  sourceColumn: m.sourceColumn,
  targetColumn: m.targetColumn,
  targetType: m.targetType as FieldMappingSpec['targetType'],
  converterOptions: (m.converterOptions ?? {}) as Record<string, unknown>,
  transforms: (m.transforms ?? []) as FieldMappingSpec['transforms'],
  direction: m.direction ?? 'both',
});

/** `mappings[3].transforms[0]` below `prefix` as `prefix.transforms.0` (the request path style of 400s). */
const fieldPath = (prefix: string, rest: string) => `${prefix}.${rest.replace(/\[(\d+)\]/g, '.$1')}`;

/**
 * The definition's source table as it is now. 404 for an unknown definition, 503 when the
 * source cannot be reached, 422 when the table is gone.
 */
async function liveSourceTable(deps: ApiDeps, definitionId: string, action: string): Promise<{ definition: DefinitionRow; table: IntrospectedTable }> {
  const [definition] = await deps.store.db.select().from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, definitionId)).limit(1);
  if (!definition) throw notFound('SyncDefinition', definitionId);
  const { source } = await resolveBinding(deps, definition);
  const filter = { schema: definition.sourceSchema, table: definition.sourceTable };
  const snapshot = await introspectSource(
    deps,
    source,
    filter,
    `${action} cannot be validated now, so nothing was changed; retry when the source is reachable`,
  );
  const table = findTable(snapshot, definition.sourceSchema, definition.sourceTable);
  if (!table) {
    throw new ApiError(
      422,
      ErrorCode.ValidationFailed,
      `the definition's source table ${definition.sourceSchema}.${definition.sourceTable} does not exist on ${describeInstance(source.instance)} (or its user cannot see it); fix the definition first`,
    );
  }
  // Same scope as the definition and provisioning record: saved mappings show their list columns from it.
  await recordSnapshot(deps.store.db, source.instance.id, scopeOf(filter), snapshot);
  return { definition, table };
}

const otherMappings = (deps: ApiDeps, definitionId: string) =>
  deps.store.db
    .select()
    .from(schema.fieldMappings)
    .where(eq(schema.fieldMappings.definitionId, definitionId))
    .orderBy(asc(schema.fieldMappings.createdAt), asc(schema.fieldMappings.id));

const invalid = (summary: string, errors: FieldError[]) =>
  new ApiError(422, ErrorCode.ValidationFailed, `${summary}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);

/**
 * Validates one mapping (create or patch) as part of the definition's whole set: the other
 * mappings stay as they are, this one is added or replaces itself. Only problems of this
 * mapping are reported (duplicates included, naming the mapping it collides with); problems
 * other mappings already have do not block fixing this one.
 */
async function validateOne(deps: ApiDeps, definitionId: string, subject: FieldMappingSpec, selfId: string | null): Promise<void> {
  const { table } = await liveSourceTable(deps, definitionId, 'the field mapping');
  const others = (await otherMappings(deps, definitionId)).filter((m) => m.id !== selfId);
  // The subject goes last, so a collision is reported on it rather than on the mapping it collides with.
  const set = [...others.map(specOf), subject];
  const at = `mappings[${others.length}].`;
  const describe = (i: number) => {
    const m = others[i];
    return m ? `the field mapping ${m.id} (${m.sourceColumn} -> ${m.targetColumn})` : `mappings[${i}]`;
  };
  const errors = validateMappings(table, set)
    .filter((issue) => issue.field.startsWith(at))
    .map((issue) => ({
      field: fieldPath('body', issue.field.slice(at.length)),
      message: issue.message.replace(/mappings\[(\d+)\]/g, (_, i: string) => describe(Number(i))),
    }));
  if (errors.length) throw invalid(`the field mapping does not fit ${table.schema}.${table.name}`, errors);
}

/** Issues of a whole set (`mappings[2].targetType`) as `<prefix>.2.targetType`. */
const setErrors = (issues: ValidationIssue[], prefix: string): FieldError[] =>
  issues.map((issue) => {
    const m = /^mappings\[(\d+)\]\.(.*)$/.exec(issue.field);
    return { field: m ? fieldPath(`${prefix}.${m[1]}`, m[2]!) : `${prefix}.${issue.field}`, message: issue.message };
  });

const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(s: T) => ({ content: { 'application/json': { schema: s } } });
const definitionParam = z.object({
  definitionId: z
    .string()
    .uuid()
    .openapi({ param: { name: 'definitionId', in: 'path' } }),
});

export function registerFieldMappings(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Field mappings'];

  registerCrud<MappingRow, MappingInput, z.infer<typeof UpdateMapping>>(app, deps, {
    basePath: '/v1/sync-definitions/{definitionId}/field-mappings',
    tag: 'Field mappings',
    singular: 'FieldMapping',
    table: schema.fieldMappings,
    parent: { param: 'definitionId', column: schema.fieldMappings.definitionId, table: schema.syncDefinitions, singular: 'SyncDefinition' },
    response: MappingSchema,
    create: CreateMapping,
    update: UpdateMapping,
    writeRole: 'operator',
    toResponse,
    toInsert: async (b, _deps, definitionId) => {
      await validateOne(deps, definitionId!, specOf(b), null);
      return { ...b };
    },
    toPatch: async (b, _deps, existing) => {
      await validateOne(deps, existing.definitionId, specOf({ ...existing, ...b }), existing.id);
      return { ...b };
    },
    // A run works on the mappings it began with: no change while a writer is active.
    guardWrite: (tx, w) => assertDefinitionIdle(tx, w.existing?.definitionId ?? w.parentId!, 'the field mappings'),
    decorate: async (rows, bodies) => withListColumns(bodies, rows.map(specOf), await recordedSourceTable(deps, rows[0]!.definitionId)),
  });
  const validated = [
    "The mapping is validated, as part of the definition's whole mapping set, against the live source table:",
    'an unknown source column, a conversion the column type cannot make (e.g. bytea to number), text that can exceed 255 characters mapped to a single line of text (`text`; use `note` or set converterOptions.maxLength),',
    'a reserved, invalid or duplicate (case-insensitive) target name, or a column mapped twice is a 422 whose errors name `body.sourceColumn`, `body.targetType`, `body.targetColumn`, ...',
    'regex_replace patterns run on a linear-time engine (RE2): a backreference, lookahead or lookbehind is a 422 naming `body.transforms.N.pattern` (see TYPE-MAPPING.md).',
    'An unreachable source is a 503 and nothing is changed.',
    'A column the proposal flags as sensitive may be mapped: mapping it explicitly is the opt-in.',
  ].join(' ');
  amendRouteDocs(app, 'post', '/v1/sync-definitions/{definitionId}/field-mappings', { description: validated, responses: sourceUnavailableResponse });
  amendRouteDocs(app, 'patch', '/v1/sync-definitions/{definitionId}/field-mappings/{id}', { description: validated, responses: sourceUnavailableResponse });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sync-definitions/{definitionId}/field-mappings/propose',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Propose the default mapping from the live source table (nothing is saved)',
      description: [
        "Introspects the definition's source table live and returns the mapping provisioning would create: one mapping per column with the default SharePoint type of its type family and a derived internal name,",
        'each with the list column it produces (`listColumn`: type, maxLength, decimalPlaces, format, choices, indexed, ...), plus the hidden SyncBridgeKey column (`keyColumn`) and what fills Title (`title`).',
        SENSITIVE_DOCS,
        'Review or edit it, then save it with PUT .../field-mappings.',
      ].join(' '),
      request: { params: definitionParam, body: { required: false, ...json(ProposeRequest) } },
      responses: { 200: { description: 'The proposed mapping set', ...json(Proposal) }, ...commonErrorResponses, ...sourceUnavailableResponse },
    }),
    async (c) => {
      const { definitionId } = c.req.valid('param');
      const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : {};
      const { definition, table } = await liveSourceTable(deps, definitionId, 'the mapping');
      const exclude = body.exclude ?? [];
      const includeSensitive = body.includeSensitive ?? false;
      const unknownIn = (field: string, names: string[]) =>
        names
          .filter((name) => !table.columns.some((col) => col.name === name))
          .map((name) => ({ field, message: `column "${name}" does not exist in ${table.schema}.${table.name}` }));
      const unknown = [...unknownIn('body.exclude', exclude), ...unknownIn('body.includeSensitive', Array.isArray(includeSensitive) ? includeSensitive : [])];
      if (unknown.length) throw invalid('the proposal names unknown columns', unknown);
      const proposal = proposeMappings(table, { exclude, includeSensitive, keyColumns: definition.keyColumns });
      const specs = proposal.items.map((i) => i.mapping);
      const items = withListColumns(specs, specs, table).map((item, i) => ({ ...item, warnings: proposal.items[i]!.warnings }));
      return c.json(
        {
          table: { schema: table.schema, name: table.name },
          items,
          ...keyAndTitle(specs, definition.keyColumns),
          sensitive: proposal.sensitive,
          issues: setErrors(validateMappings(table, specs), 'items'),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/sync-definitions/{definitionId}/field-mappings',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Replace the whole mapping set atomically',
      description: [
        'Validates the new set as a whole against the live source table (unknown columns, impossible conversions, text that does not fit a single line, reserved or duplicate target names)',
        "and then replaces the definition's mappings in one transaction: all or nothing. A mapping of a source column that stays keeps its id.",
        'Errors name `body.mappings.<index>.<field>`. Lists are not changed until the next provisioning.',
      ].join(' '),
      request: { params: definitionParam, body: { required: true, ...json(ReplaceMappings) } },
      responses: { 200: { description: 'The new mapping set, in request order', ...json(MappingList) }, ...commonErrorResponses, ...sourceUnavailableResponse },
    }),
    async (c) => {
      const { definitionId } = c.req.valid('param');
      const { mappings } = c.req.valid('json');
      const { table } = await liveSourceTable(deps, definitionId, 'the mapping set');
      const specs = mappings.map(specOf);
      const errors = setErrors(validateMappings(table, specs), 'body.mappings');
      if (errors.length) throw invalid(`the mapping set does not fit ${table.schema}.${table.name}; nothing was changed`, errors);

      const rows = await db.transaction(async (tx) => {
        // Serialises concurrent replacements of the same set (and fails cleanly if the definition was deleted meanwhile).
        const [locked] = await tx
          .select({ id: schema.syncDefinitions.id })
          .from(schema.syncDefinitions)
          .where(eq(schema.syncDefinitions.id, definitionId))
          .for('update');
        if (!locked) throw notFound('SyncDefinition', definitionId);
        await assertDefinitionIdle(tx, definitionId, 'the field mappings');
        const current = await tx.select().from(schema.fieldMappings).where(eq(schema.fieldMappings.definitionId, definitionId));
        const bySource = new Map(current.map((r) => [r.sourceColumn, r]));
        const now = Date.now();
        const values = specs.map((spec, i) => {
          const kept = bySource.get(spec.sourceColumn);
          const unchanged = kept && canonicalJson(specOf(kept)) === canonicalJson(spec);
          return {
            ...spec,
            definitionId,
            ...(kept ? { id: kept.id, createdAt: kept.createdAt } : { createdAt: new Date(now + i) }),
            updatedAt: unchanged ? kept.updatedAt : new Date(now),
          };
        });
        // Delete-then-insert inside the transaction: swapping target names between mappings never trips the unique indexes.
        await tx.delete(schema.fieldMappings).where(eq(schema.fieldMappings.definitionId, definitionId));
        const inserted = values.length ? await tx.insert(schema.fieldMappings).values(values).returning() : [];
        const bySourceColumn = new Map(inserted.map((r) => [r.sourceColumn, r]));
        return specs.map((s) => bySourceColumn.get(s.sourceColumn)!);
      });
      c.get('log').info({ definitionId, mappings: rows.length }, 'field mappings replaced');
      return c.json({ items: withListColumns(rows.map(toResponse), rows.map(specOf), table) }, 200);
    },
  );
}
