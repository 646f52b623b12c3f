import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { connectionKey, SharedBudgetStore } from '@syncbridge/shared/graph';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { bearerSecurity, jsonContent, uuidPathParam } from '../lib/openapi-route.ts';
import { commonErrorResponses, notFound } from '../lib/problem.ts';

/*
 * The connection's resource-unit budget as every worker sees it (one per app and tenant, kept in the
 * meta-store: shared/src/graph/shared-budget.ts): the limits, what was spent in the last minute and
 * day, what each running operation is getting, and who waits for budget now.
 */

const PRIORITIES = ['interactive', 'incremental', 'bulk'] as const;

const BudgetSchema = z
  .object({
    connectionId: z.string().uuid(),
    appKey: z.string().openapi({ description: 'tenant|client: connections of one app in one tenant share this budget' }),
    ruPerMinute: z.number().int(),
    ruPerDay: z.number().int().nullable(),
    bulkShare: z.number(),
    spentLastMinute: z.number().int().openapi({ description: 'RU spent in the last minute by every process of the app in the tenant' }),
    spentLast24h: z.number().int(),
    availableNow: z.number().int(),
    pausedForMs: z.number().int().openapi({ description: 'Every request waits this long (a 429/503 Retry-After from SharePoint)' }),
    operations: z
      .array(
        z.object({
          runId: z.string().uuid().nullable().openapi({ description: "Null: requests outside a run (the API's discovery and tests)" }),
          definitionId: z.string().uuid().nullable(),
          priority: z.enum([...PRIORITIES, 'external']).openapi({ description: "'external': spent by someone else, seen in SharePoint's RateLimit-Remaining" }),
          spentLastMinute: z.number().int(),
          share: z.number().openapi({ description: 'Of the RU spent in the last minute' }),
        }),
      )
      .openapi({ description: 'What each running operation got in the last minute' }),
    queue: z
      .array(
        z.object({
          runId: z.string().uuid().nullable(),
          definitionId: z.string().uuid().nullable(),
          priority: z.enum(PRIORITIES),
          requests: z.number().int(),
          ru: z.number().int(),
          waitingMs: z.number().int(),
        }),
      )
      .openapi({ description: 'Requests waiting for budget now, in the order they are served (priority first)' }),
  })
  .openapi('ConnectionBudget');

export function registerConnectionBudget(app: App, deps: ApiDeps) {
  const budgets = new SharedBudgetStore(deps.store.sql);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharepoint-connections/{id}/budget',
      tags: ['SharePoint connections'],
      security: bearerSecurity,
      middleware: [requireRole('viewer')] as const,
      summary: "The connection's resource-unit budget: limits, spend, each operation's share, the queue",
      description:
        'Read from the meta-store, where every worker books what it spends: no call to SharePoint. Incremental runs, ingress and "run now" go first; bulk work gets at least `bulkShare` while they wait.',
      request: { params: uuidPathParam('id') },
      responses: { 200: { description: 'The budget', ...jsonContent(BudgetSchema) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await deps.store.db.select().from(schema.sharepointConnections).where(eq(schema.sharepointConnections.id, id));
      if (!row) throw notFound('SharePointConnection', id);
      const key = connectionKey(row);
      const usage = await budgets.usage(key, 60_000);
      const total = Math.max(1, usage.spentInWindow);
      return c.json(
        {
          connectionId: row.id,
          appKey: key,
          ruPerMinute: row.ruPerMinute,
          ruPerDay: row.ruPerDay,
          bulkShare: row.bulkShare,
          spentLastMinute: usage.spentInWindow,
          spentLast24h: usage.spentLast24h,
          availableNow: Math.max(0, row.ruPerMinute - usage.spentInWindow),
          pausedForMs: usage.pausedForMs,
          operations: usage.byRun.map((r) => ({
            runId: r.runId,
            definitionId: r.definitionId,
            priority: r.priority,
            spentLastMinute: r.spent,
            share: Math.round((r.spent / total) * 1000) / 1000,
          })),
          queue: usage.queue,
        },
        200,
      );
    },
  );
}
