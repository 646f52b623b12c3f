import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { keysetAfter, keysetOrder, schema, toPage } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { generateApiKey, requireRole } from '../lib/auth.ts';
import { pageQuery } from '../lib/crud.ts';
import { commonErrorResponses, notFound } from '../lib/problem.ts';
import { iso, name } from './common.ts';

type KeyRow = typeof schema.apiKeys.$inferSelect;

const ApiKeySchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'First characters of the key, to recognise it' }),
    role: z.enum(schema.apiRole.enumValues),
    createdAt: z.string().datetime(),
    lastUsedAt: z.string().datetime().nullable(),
    revokedAt: z.string().datetime().nullable(),
  })
  .openapi('ApiKey');
const CreatedApiKey = ApiKeySchema.extend({ key: z.string().openapi({ description: 'The key itself. Shown once; only its hash is stored.' }) }).openapi(
  'CreatedApiKey',
);
const CreateApiKey = z
  .object({ name: name('What the key is for'), role: z.enum(schema.apiRole.enumValues) })
  .strict()
  .openapi('CreateApiKey');

const toResponse = (r: KeyRow) => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  role: r.role,
  createdAt: r.createdAt.toISOString(),
  lastUsedAt: iso(r.lastUsedAt),
  revokedAt: iso(r.revokedAt),
});
const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

export function registerApiKeys(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['API keys'];

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/api-keys',
      tags,
      security,
      middleware: [requireRole('admin')] as const,
      summary: 'Create an API key',
      request: { body: { required: true, ...json(CreateApiKey) } },
      responses: { 201: { description: 'The key; its value is shown only in this response', ...json(CreatedApiKey) }, ...commonErrorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const generated = generateApiKey();
      const [row] = await db
        .insert(schema.apiKeys)
        .values({ ...body, prefix: generated.prefix, keyHash: generated.hash })
        .returning();
      c.get('log').info({ apiKey: row!.id, role: row!.role }, 'api key created');
      return c.json({ ...toResponse(row!), key: generated.key }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/api-keys',
      tags,
      security,
      middleware: [requireRole('admin')] as const,
      summary: 'List API keys (never their values)',
      request: { query: z.object(pageQuery) },
      responses: {
        200: { description: 'A page of keys', ...json(z.object({ items: z.array(ApiKeySchema), nextCursor: z.string().nullable() })) },
        ...commonErrorResponses,
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await db
        .select()
        .from(schema.apiKeys)
        .where(keysetAfter(schema.apiKeys, cursor))
        .orderBy(...keysetOrder(schema.apiKeys))
        .limit(limit + 1);
      const page = toPage(rows, limit);
      return c.json({ items: page.items.map(toResponse), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/api-keys/{id}',
      tags,
      security,
      middleware: [requireRole('admin')] as const,
      summary: 'Revoke an API key',
      request: {
        params: z.object({
          id: z
            .string()
            .uuid()
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 204: { description: 'Revoked' }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const revoked = await db
        .update(schema.apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(schema.apiKeys.id, id), isNull(schema.apiKeys.revokedAt)))
        .returning({ id: schema.apiKeys.id });
      if (revoked.length === 0) throw notFound('ApiKey', id);
      c.get('log').info({ apiKey: id }, 'api key revoked');
      return c.body(null, 204);
    },
  );
}
