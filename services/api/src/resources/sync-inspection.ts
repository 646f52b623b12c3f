import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { commonErrorResponses, notFound } from '../lib/problem.ts';

const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(s: T) => ({ content: { 'application/json': { schema: s } } });
const params = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const QuarantineEntry = z
  .object({ id: z.string().uuid(), sourceKey: z.string(), reason: z.string(), detail: z.unknown().nullable(), firstSeenAt: z.string().datetime(), lastSeenAt: z.string().datetime() })
  .openapi('QuarantineEntry');
const LedgerEntry = z
  .object({ sourceKey: z.string(), targetId: z.string().uuid().nullable(), listItemId: z.string().nullable(), contentHash: z.string(), etag: z.string().nullable(), provenance: z.string(), lastPushedAt: z.string().datetime().nullable() })
  .openapi('LedgerEntry');

/** Read-only views of what a definition has synced and what it could not. */
export function registerSyncInspection(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];
  const assertDefinition = async (id: string) => {
    const [found] = await db.select({ id: schema.syncDefinitions.id }).from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, id));
    if (!found) throw notFound('SyncDefinition', id);
  };

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sync-definitions/{id}/quarantine', tags, security, middleware: [requireRole('viewer')] as const,
      summary: 'Rows that could not be synced, with the reason',
      description: 'Open entries only. An entry is resolved when its row syncs (after it is fixed at the source).',
      request: { params, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
      responses: { 200: { description: 'Open quarantine entries', ...json(z.object({ items: z.array(QuarantineEntry) })) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await assertDefinition(id);
      const rows = await db
        .select()
        .from(schema.quarantine)
        .where(and(eq(schema.quarantine.definitionId, id), isNull(schema.quarantine.resolvedAt)))
        .orderBy(asc(schema.quarantine.firstSeenAt))
        .limit(c.req.valid('query').limit);
      return c.json({ items: rows.map((r) => ({ id: r.id, sourceKey: r.sourceKey, reason: r.reason, detail: r.detail ?? null, firstSeenAt: r.firstSeenAt.toISOString(), lastSeenAt: r.lastSeenAt.toISOString() })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sync-definitions/{id}/ledger', tags, security, middleware: [requireRole('viewer')] as const,
      summary: 'The sync ledger: where each source row lives in SharePoint',
      request: { params, query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), after: z.string().optional().openapi({ description: 'sourceKey of the last entry of the previous page' }) }) },
      responses: { 200: { description: 'Ledger entries in source-key order', ...json(z.object({ items: z.array(LedgerEntry), nextAfter: z.string().nullable() })) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, after } = c.req.valid('query');
      await assertDefinition(id);
      const rows = await db
        .select()
        .from(schema.syncLedger)
        .where(and(eq(schema.syncLedger.definitionId, id), after ? gt(schema.syncLedger.sourceKey, after) : undefined))
        .orderBy(asc(schema.syncLedger.sourceKey))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return c.json(
        {
          items: page.map((r) => ({ sourceKey: r.sourceKey, targetId: r.targetId, listItemId: r.listItemId, contentHash: r.contentHash, etag: r.etag, provenance: r.provenance, lastPushedAt: r.lastPushedAt?.toISOString() ?? null })),
          nextAfter: rows.length > limit ? (page.at(-1)?.sourceKey ?? null) : null,
        },
        200,
      );
    },
  );
}
