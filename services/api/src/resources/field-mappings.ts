import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { registerCrud } from '../lib/crud.ts';
import { timestamps } from './common.ts';

type MappingRow = typeof schema.fieldMappings.$inferSelect;

export const SHAREPOINT_COLUMN_TYPES = ['text', 'note', 'number', 'currency', 'boolean', 'dateTime', 'choice', 'hyperlink'] as const;

const Transform = z.discriminatedUnion('op', [
  z.object({ op: z.literal('trim') }).strict(),
  z.object({ op: z.literal('upper') }).strict(),
  z.object({ op: z.literal('lower') }).strict(),
  z
    .object({ op: z.literal('regex_replace'), pattern: z.string().min(1).max(500), flags: z.string().regex(/^[gimsuy]*$/).optional(), replacement: z.string().max(500) })
    .strict()
    .refine((t) => {
      try {
        new RegExp(t.pattern, t.flags);
        return true;
      } catch {
        return false;
      }
    }, 'pattern is not a valid regular expression'),
]);

const fields = {
  sourceColumn: z.string().min(1).max(63),
  targetColumn: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/, 'must be a SharePoint internal name: a letter or _, then letters, digits or _, at most 32 characters'),
  targetType: z.enum(SHAREPOINT_COLUMN_TYPES),
  converterOptions: z.record(z.string(), z.unknown()),
  transforms: z.array(Transform).max(10),
  direction: z.enum(schema.mappingDirection.enumValues),
};

const MappingSchema = z.object({ id: z.string().uuid(), definitionId: z.string().uuid(), ...fields, ...timestamps }).openapi('FieldMapping');
const CreateMapping = z
  .object({ ...fields, converterOptions: fields.converterOptions.optional(), transforms: fields.transforms.optional(), direction: fields.direction.optional() })
  .strict()
  .openapi('CreateFieldMapping');
const UpdateMapping = z.object(fields).partial().strict().openapi('UpdateFieldMapping');

export function registerFieldMappings(app: App, deps: ApiDeps) {
  registerCrud<MappingRow, z.infer<typeof CreateMapping>, z.infer<typeof UpdateMapping>>(app, deps, {
    basePath: '/v1/sync-definitions/{definitionId}/field-mappings',
    tag: 'Field mappings',
    singular: 'FieldMapping',
    table: schema.fieldMappings,
    parent: { param: 'definitionId', column: schema.fieldMappings.definitionId, table: schema.syncDefinitions, singular: 'SyncDefinition' },
    response: MappingSchema,
    create: CreateMapping,
    update: UpdateMapping,
    writeRole: 'operator',
    toResponse: (r) => ({
      id: r.id,
      definitionId: r.definitionId,
      sourceColumn: r.sourceColumn,
      targetColumn: r.targetColumn,
      targetType: r.targetType,
      converterOptions: r.converterOptions,
      transforms: r.transforms,
      direction: r.direction,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    }),
    toInsert: (b) => ({ ...b }),
    toPatch: (b) => ({ ...b }),
  });
}
