import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { ledgerPage } from '@syncbridge/shared/domain';
import { decodeKeyCursor, encodeCursor, encodeKeyCursor, keysetAfter, keysetOrder, pageOf, schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { pageQuery } from '../lib/crud.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';

const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(s: T) => ({ content: { 'application/json': { schema: s } } });
const params = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const QuarantineEntry = z
  .object({
    id: z.string().uuid(),
    sourceKey: z.string(),
    reason: z.string(),
    detail: z.unknown().nullable(),
    firstSeenAt: z.string().datetime(),
    lastSeenAt: z.string().datetime(),
  })
  .openapi('QuarantineEntry');
const LedgerEntry = z
  .object({
    sourceKey: z.string(),
    targetId: z.string().uuid().nullable(),
    listItemId: z.string().nullable(),
    contentHash: z.string(),
    etag: z.string().nullable(),
    provenance: z.string(),
    lastPushedAt: z.string().datetime().nullable(),
  })
  .openapi('LedgerEntry');

/** The search both lists take: a plain substring of the encoded source key (no pattern syntax). */
const keySearch = {
  key: z.string().min(1).max(500).optional().openapi({ description: 'Only entries whose source key contains this text (case-sensitive), e.g. a key value' }),
};

const nextCursor = z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' });

// The ledger paged with `after` (a raw source key) / `nextAfter` before it paged like every list; both stay, deprecated, so existing clients keep working.
const LedgerQuery = z.object({
  ...pageQuery,
  ...keySearch,
  after: z
    .string()
    .optional()
    .openapi({ param: { deprecated: true }, description: 'Deprecated: use `cursor`. The sourceKey of the last entry of the previous page (`nextAfter`).' }),
});
const LedgerPage = z
  .object({
    items: z.array(LedgerEntry),
    nextCursor,
    nextAfter: z
      .string()
      .nullable()
      .openapi({ deprecated: true, description: 'Deprecated: use `nextCursor`. The sourceKey to pass as `after`; null on the last page.' }),
  })
  .openapi('LedgerPage');
const QuarantinePage = z.object({ items: z.array(QuarantineEntry), nextCursor }).openapi('QuarantinePage');

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
      method: 'get',
      path: '/v1/sync-definitions/{id}/quarantine',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'Rows that could not be synced, with the reason',
      description:
        'Open entries only, oldest first; pages with `cursor` / `nextCursor` like every list. An entry is resolved when its row syncs (after it is fixed at the source).',
      request: { params, query: z.object({ ...pageQuery, ...keySearch }) },
      responses: { 200: { description: 'Open quarantine entries', ...json(QuarantinePage) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor, key } = c.req.valid('query');
      await assertDefinition(id);
      // first_seen_at is the entry's created_at (millisecond precision), so the (created_at, id) keyset applies as it is.
      const position = { createdAt: schema.quarantine.firstSeenAt, id: schema.quarantine.id };
      const rows = await db
        .select()
        .from(schema.quarantine)
        .where(
          and(
            eq(schema.quarantine.definitionId, id),
            isNull(schema.quarantine.resolvedAt),
            key ? sql`strpos(${schema.quarantine.sourceKey}, ${key}) > 0` : undefined,
            keysetAfter(position, cursor),
          ),
        )
        .orderBy(...keysetOrder(position))
        .limit(limit + 1);
      const page = pageOf(rows, limit, (r) => encodeCursor({ createdAt: r.firstSeenAt, id: r.id }));
      return c.json(
        {
          items: page.items.map((r) => ({
            id: r.id,
            sourceKey: r.sourceKey,
            reason: r.reason,
            detail: r.detail ?? null,
            firstSeenAt: r.firstSeenAt.toISOString(),
            lastSeenAt: r.lastSeenAt.toISOString(),
          })),
          nextCursor: page.nextCursor,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/ledger',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'The sync ledger: where each source row lives in SharePoint',
      description:
        'Entries in source-key order; pages with `cursor` / `nextCursor` like every list. `after` / `nextAfter` (raw source keys) still work but are deprecated.',
      request: { params, query: LedgerQuery },
      responses: { 200: { description: 'Ledger entries in source-key order', ...json(LedgerPage) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor, after, key } = c.req.valid('query');
      if (cursor !== undefined && after !== undefined) {
        const message = 'give cursor or the deprecated after, not both';
        throw new ApiError(400, ErrorCode.ValidationFailed, message, [{ field: 'query.after', message }]);
      }
      await assertDefinition(id);
      const from = cursor !== undefined ? decodeKeyCursor(cursor) : after;
      const rows = await ledgerPage(db, id, from ?? null, limit + 1, key);
      const page = pageOf(rows, limit, (r) => encodeKeyCursor(r.sourceKey));
      const last = page.nextCursor ? page.items.at(-1)! : undefined;
      return c.json(
        {
          items: page.items.map((r) => ({
            sourceKey: r.sourceKey,
            targetId: r.targetId,
            listItemId: r.listItemId,
            contentHash: r.contentHash,
            etag: r.etag,
            provenance: r.provenance,
            lastPushedAt: r.lastPushedAt?.toISOString() ?? null,
          })),
          nextCursor: page.nextCursor,
          nextAfter: last?.sourceKey ?? null,
        },
        200,
      );
    },
  );
}
