import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { bearerSecurity, jsonContent, uuidPathParam } from '../lib/openapi-route.ts';
import { commonErrorResponses, notFound } from '../lib/problem.ts';

/*
 * The replication state of a definition that reads PostgreSQL's log (cursor strategy
 * logical_replication): its slot and publication, how far behind the server the slot is, how
 * much WAL it holds back against the definition's limit, the alarm, and how often it was lost.
 * As the last run or the change watcher saw it (no call to the source).
 */

const ReplicationSchema = z
  .object({
    definitionId: z.string().uuid(),
    enabled: z.boolean().openapi({ description: 'The definition reads the log (cursorStrategy logical_replication)' }),
    instanceId: z.string().uuid().nullable().openapi({ description: 'The database instance holding the slot; null before the first run made it' }),
    slotName: z.string().nullable(),
    publicationName: z.string().nullable(),
    status: z
      .enum(['none', 'active', 'lost'])
      .openapi({ description: 'none: no slot yet (the first run makes it); lost: the next run replaces it and makes a full pass' }),
    cursorLsn: z
      .string()
      .nullable()
      .openapi({ description: 'The LSN of the last change pushed (the cursor); null right after a full pass (the slot is read from its start)' }),
    confirmedLsn: z.string().nullable().openapi({ description: "The slot's confirmed position on the server" }),
    currentLsn: z.string().nullable().openapi({ description: "The server's WAL position when last checked" }),
    lagBytes: z.number().int().nullable().openapi({ description: 'WAL written since the confirmed position (bytes)' }),
    retainedBytes: z.number().int().nullable().openapi({ description: 'WAL the slot holds back on the server (bytes)' }),
    maxRetainedBytes: z.number().int().openapi({ description: 'The limit (replicationMaxRetainedMb): past half an alarm, past all the slot is dropped' }),
    alarm: z.string().nullable().openapi({ description: 'What needs attention, in words; null when fine' }),
    lostCount: z.number().int(),
    lastLostAt: z.string().datetime().nullable(),
    lastLostReason: z.string().nullable(),
    checkedAt: z.string().datetime().nullable(),
  })
  .openapi('ReplicationState');

export function registerReplication(app: App, deps: ApiDeps) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/replication',
      tags: ['Sync definitions'],
      security: bearerSecurity,
      middleware: [requireRole('viewer')] as const,
      summary: "The definition's logical replication slot: lag, WAL held back, alarm, losses",
      description:
        'For a definition with cursorStrategy logical_replication. Recorded by every run and by the watcher that asks for runs when the slot holds changes; no call to the source.',
      request: { params: uuidPathParam('id') },
      responses: { 200: { description: 'The replication state', ...jsonContent(ReplicationSchema) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { db } = deps.store;
      const [def] = await db
        .select({ cursorStrategy: schema.syncDefinitions.cursorStrategy, maxMb: schema.syncDefinitions.replicationMaxRetainedMb })
        .from(schema.syncDefinitions)
        .where(eq(schema.syncDefinitions.id, id));
      if (!def) throw notFound('SyncDefinition', id);
      const [slot] = await db.select().from(schema.replicationSlots).where(eq(schema.replicationSlots.definitionId, id));
      const [cursorRow] = await db
        .select({ value: schema.syncCursors.value })
        .from(schema.syncCursors)
        .where(and(eq(schema.syncCursors.definitionId, id), eq(schema.syncCursors.kind, 'source_watermark'), isNull(schema.syncCursors.targetId)));
      const cursor = cursorRow?.value as { lsn?: unknown } | undefined;
      return c.json(
        {
          definitionId: id,
          enabled: def.cursorStrategy === 'logical_replication',
          instanceId: slot?.instanceId ?? null,
          slotName: slot?.slotName ?? null,
          publicationName: slot?.publicationName ?? null,
          status: slot ? (slot.status === 'lost' ? ('lost' as const) : ('active' as const)) : ('none' as const),
          cursorLsn: typeof cursor?.lsn === 'string' ? cursor.lsn : null,
          confirmedLsn: slot?.confirmedLsn ?? null,
          currentLsn: slot?.currentLsn ?? null,
          lagBytes: slot?.lagBytes ?? null,
          retainedBytes: slot?.retainedBytes ?? null,
          maxRetainedBytes: def.maxMb * 1024 * 1024,
          alarm: slot?.alarm ?? null,
          lostCount: slot?.lostCount ?? 0,
          lastLostAt: slot?.lastLostAt?.toISOString() ?? null,
          lastLostReason: slot?.lastLostReason ?? null,
          checkedAt: slot?.checkedAt?.toISOString() ?? null,
        },
        200,
      );
    },
  );
}
