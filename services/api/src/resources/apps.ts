import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { registerCrud } from '../lib/crud.ts';
import { freeText, name, timestamps } from './common.ts';

type AppRow = typeof schema.apps.$inferSelect;

export const AppSchema = z
  .object({ id: z.string().uuid(), name: z.string(), ownerTeam: z.string(), description: z.string().nullable(), ...timestamps })
  .openapi('App');
const CreateApp = z
  .object({ name: name('Unique application name'), ownerTeam: name('Team that owns this app'), description: freeText(z.string().max(2000)).optional() })
  .strict()
  .openapi('CreateApp');
const UpdateApp = CreateApp.partial().strict().openapi('UpdateApp');

export function registerApps(app: App, deps: ApiDeps) {
  registerCrud<AppRow, z.infer<typeof CreateApp>, z.infer<typeof UpdateApp>>(app, deps, {
    basePath: '/v1/apps',
    tag: 'Apps',
    singular: 'App',
    table: schema.apps,
    response: AppSchema,
    create: CreateApp,
    update: UpdateApp,
    writeRole: 'admin',
    toResponse: (r) => ({
      id: r.id,
      name: r.name,
      ownerTeam: r.ownerTeam,
      description: r.description,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    }),
    toInsert: (b) => ({ ...b }),
    toPatch: (b) => ({ ...b }),
  });
}
