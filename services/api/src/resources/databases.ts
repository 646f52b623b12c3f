import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { registerCrud } from '../lib/crud.ts';
import { name, timestamps, uuidFilter, uuidRef } from './common.ts';

type DatabaseRow = typeof schema.databases.$inferSelect;

const engine = z.enum(schema.databaseEngine.enumValues).openapi({ description: 'Source database engine' });
const environment = z.enum(schema.environment.enumValues);

export const DatabaseSchema = z
  .object({ id: z.string().uuid(), appId: z.string().uuid(), name: z.string(), engine, environment, ...timestamps })
  .openapi('Database');
const CreateDatabase = z
  .object({ appId: uuidRef('Owning app'), name: name('Logical database name, unique per app'), engine, environment })
  .strict()
  .openapi('CreateDatabase');
const UpdateDatabase = CreateDatabase.omit({ appId: true, engine: true }).partial().strict().openapi('UpdateDatabase');

export function registerDatabases(app: App, deps: ApiDeps) {
  registerCrud<DatabaseRow, z.infer<typeof CreateDatabase>, z.infer<typeof UpdateDatabase>>(app, deps, {
    basePath: '/v1/databases',
    tag: 'Databases',
    singular: 'Database',
    table: schema.databases,
    response: DatabaseSchema,
    create: CreateDatabase,
    update: UpdateDatabase,
    writeRole: 'admin',
    listFilters: { appId: { column: schema.databases.appId, schema: uuidFilter('Only databases of this app') } },
    toResponse: (r) => ({
      id: r.id,
      appId: r.appId,
      name: r.name,
      engine: r.engine,
      environment: r.environment,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    }),
    toInsert: (b) => ({ ...b }),
    toPatch: (b) => ({ ...b }),
  });
}
