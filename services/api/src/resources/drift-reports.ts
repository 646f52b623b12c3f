import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { keysetBefore, keysetOrderNewestFirst, schema, toPage } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { bearerSecurity, jsonContent, uuidPathParam } from '../lib/openapi-route.ts';
import { pageQuery } from '../lib/crud.ts';
import { commonErrorResponses, notFound } from '../lib/problem.ts';

/*
 * Reports of drift checks (POST /v1/sync-definitions/{id}/operations/drift_check): per class,
 * how many keys differ between the table, the ledger and the lists, a few sample keys, and the
 * Graph requests the check spent. Read-only; repairing what a report found is a later operation.
 */

const security = bearerSecurity;
const json = jsonContent;
const definitionParam = uuidPathParam('id');
const reportParam = uuidPathParam('reportId');

const DriftCounts = z
  .object({
    orphanItems: z.number().int().openapi({ description: 'Items whose SyncBridgeKey no row of the table has' }),
    missingItems: z.number().int().openapi({ description: 'Rows push would write that no item in the lists carries' }),
    valueDrift: z
      .number()
      .int()
      .openapi({ description: "Items whose fields differ from what push would write for their row (compared by push's content hash)" }),
    ledgerDrift: z
      .number()
      .int()
      .openapi({ description: 'Ledger entries whose item does not exist in their list, or whose key an item of another list carries' }),
    duplicates: z.number().int().openapi({ description: 'Keys carried by more than one item' }),
    itemsRead: z.number().int(),
    unkeyedItems: z.number().int().openapi({ description: 'Items without a key (made in SharePoint, not ingested yet): not drift' }),
    rowsRead: z.number().int(),
    rowsNotWritten: z.number().int().openapi({ description: 'Rows push does not write (quarantined, or marked soft-deleted): no item expected' }),
    misrouted: z
      .number()
      .int()
      .openapi({ description: 'Rows whose item is in another list than their routing rules choose now (a reshard moves them): not drift' }),
    ledgerEntries: z.number().int(),
    graphRequests: z.number().int(),
  })
  .passthrough()
  .openapi('DriftCounts');

const DriftSample = z
  .object({
    sourceKey: z.string(),
    targetId: z.string().uuid().nullable().optional(),
    listItemId: z.string().nullable().optional(),
    detail: z.string().optional(),
  })
  .openapi('DriftSample');

const DriftReport = z
  .object({
    id: z.string().uuid(),
    definitionId: z.string().uuid(),
    runId: z.string().uuid().nullable().openapi({ description: 'The drift_check run that wrote the report' }),
    counts: DriftCounts,
    samples: z.record(z.string(), z.array(DriftSample)).openapi({ description: 'Up to 20 keys per class' }),
    graphRequests: z.number().int().openapi({ description: 'Graph requests spent reading the lists (one per page of up to 999 items)' }),
    createdAt: z.string().datetime(),
  })
  .openapi('DriftReport');

const DriftReportPage = z
  .object({
    items: z.array(DriftReport),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .openapi('DriftReportPage');

type ReportRow = typeof schema.driftReports.$inferSelect;

const view = (r: ReportRow) => ({
  id: r.id,
  definitionId: r.definitionId,
  runId: r.runId ?? null,
  counts: r.summary as z.infer<typeof DriftCounts>,
  samples: (r.findings && typeof r.findings === 'object' && !Array.isArray(r.findings) ? r.findings : {}) as Record<string, z.infer<typeof DriftSample>[]>,
  graphRequests: r.graphRequests,
  createdAt: r.createdAt.toISOString(),
});

export function registerDriftReports(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/drift-reports',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'Drift reports of a definition, newest first',
      description:
        'What each drift check (POST /v1/sync-definitions/{id}/operations/drift_check) found: counts per class, sample keys, Graph requests spent. Pages with `cursor` / `nextCursor` like every list. 404 for an unknown definition.',
      request: { params: definitionParam, query: z.object(pageQuery) },
      responses: { 200: { description: 'Drift reports', ...json(DriftReportPage) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const [def] = await db.select({ id: schema.syncDefinitions.id }).from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, id));
      if (!def) throw notFound('SyncDefinition', id);
      const rows = await db
        .select()
        .from(schema.driftReports)
        .where(and(eq(schema.driftReports.definitionId, id), keysetBefore(schema.driftReports, cursor)))
        .orderBy(...keysetOrderNewestFirst(schema.driftReports))
        .limit(limit + 1);
      const page = toPage(rows, limit);
      return c.json({ items: page.items.map(view), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/drift-reports/{reportId}',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'One drift report',
      description: 'Counts per class, sample keys and the Graph requests spent. 404 for an unknown id.',
      request: { params: reportParam },
      responses: { 200: { description: 'The drift report', ...json(DriftReport) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { reportId } = c.req.valid('param');
      const [row] = await db.select().from(schema.driftReports).where(eq(schema.driftReports.id, reportId));
      if (!row) throw notFound('DriftReport', reportId);
      return c.json(view(row), 200);
    },
  );
}
