import { createRoute, z } from '@hono/zod-openapi';
import { ScheduleNotFoundError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { OPERATION_KINDS, OPERATIONS, type OperationKind } from '@syncbridge/shared/domain';
import { operationScheduleId } from '@syncbridge/shared/temporal/ids';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
import { cronExpression, MIN_SCHEDULE_SECONDS, saveSchedule, syncDefinitionSchedules } from '../lib/schedules.ts';

type ScheduleRow = typeof schema.operationSchedules.$inferSelect;

const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(s: T) => ({ content: { 'application/json': { schema: s } } });
const definitionParam = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const kindParams = definitionParam.extend({ kind: z.enum(OPERATION_KINDS).openapi({ param: { name: 'kind', in: 'path' } }) });

const ScheduleSchema = z
  .object({
    kind: z.enum(OPERATION_KINDS),
    cron: z.string().nullable().openapi({ description: 'Cron expression (UTC), or null when intervalSeconds is set' }),
    intervalSeconds: z.number().int().nullable(),
    paused: z.boolean().openapi({ description: 'Paused by a person (POST .../pause)' }),
    effectivelyPaused: z.boolean().openapi({ description: 'paused, or the definition is disabled' }),
    note: z.string().nullable(),
    scheduleId: z.string().openapi({ description: 'The Temporal Schedule id' }),
    updatedAt: z.string().datetime(),
  })
  .openapi('OperationSchedule');

const PutSchedule = z
  .object({
    cron: cronExpression.nullable().optional(),
    intervalSeconds: z
      .number()
      .int()
      .min(MIN_SCHEDULE_SECONDS)
      .max(86_400 * 7)
      .nullable()
      .optional(),
    paused: z.boolean().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (!!b.cron === !!b.intervalSeconds) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give exactly one of cron or intervalSeconds' });
  })
  .openapi('PutOperationSchedule');

/** Schedules per definition and operation kind: set, pause, resume, trigger, remove. */
export function registerSchedules(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Schedules'];
  const loadDefinition = async (id: string) => {
    const [def] = await db
      .select({ id: schema.syncDefinitions.id, enabled: schema.syncDefinitions.enabled })
      .from(schema.syncDefinitions)
      .where(eq(schema.syncDefinitions.id, id));
    if (!def) throw notFound('SyncDefinition', id);
    return def;
  };
  const assertSchedulable = (kind: OperationKind) => {
    if (!OPERATIONS[kind].schedulable)
      throw new ApiError(422, ErrorCode.ValidationFailed, `${kind} runs are started on request, not on a schedule`, [
        { field: 'path.kind', message: 'not schedulable' },
      ]);
    if (!OPERATIONS[kind].available)
      throw new ApiError(422, ErrorCode.ValidationFailed, `the ${kind} operation is not available in this version`, [
        { field: 'path.kind', message: 'not available yet' },
      ]);
  };
  const loadRow = async (id: string, kind: OperationKind) => {
    const [row] = await db
      .select()
      .from(schema.operationSchedules)
      .where(and(eq(schema.operationSchedules.definitionId, id), eq(schema.operationSchedules.kind, kind)));
    if (!row) throw notFound('OperationSchedule', `${id}/${kind}`);
    return row;
  };
  const view = (row: ScheduleRow, enabled: boolean) => ({
    kind: row.kind as OperationKind,
    cron: row.cron,
    intervalSeconds: row.intervalSeconds,
    paused: row.paused,
    effectivelyPaused: row.paused || !enabled,
    note: row.note,
    scheduleId: operationScheduleId(row.definitionId, row.kind as OperationKind),
    updatedAt: row.updatedAt.toISOString(),
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/schedules',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: "The definition's schedules, one per operation kind",
      request: { params: definitionParam },
      responses: {
        200: { description: 'Schedules', ...json(z.object({ items: z.array(ScheduleSchema) }).openapi('OperationScheduleList')) },
        ...commonErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const def = await loadDefinition(id);
      const rows = await db
        .select()
        .from(schema.operationSchedules)
        .where(eq(schema.operationSchedules.definitionId, id))
        .orderBy(schema.operationSchedules.kind);
      return c.json({ items: rows.map((r) => view(r, def.enabled)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/sync-definitions/{id}/schedules/{kind}',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Set the schedule of an operation kind',
      description:
        "Creates or replaces the schedule (a cron expression in UTC, or an interval). Each fire asks the definition's coordinator for the operation, which joins it to a run already going. A disabled definition keeps its schedules paused.",
      request: { params: kindParams, body: { required: true, ...json(PutSchedule) } },
      responses: { 200: { description: 'The schedule', ...json(ScheduleSchema) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id, kind } = c.req.valid('param');
      const body = c.req.valid('json');
      const def = await loadDefinition(id);
      assertSchedulable(kind);
      await saveSchedule(deps, id, kind, {
        cron: body.cron ?? null,
        intervalSeconds: body.intervalSeconds ?? null,
        ...(body.paused !== undefined ? { paused: body.paused } : {}),
      });
      await syncDefinitionSchedules(deps, id);
      return c.json(view(await loadRow(id, kind), def.enabled), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/sync-definitions/{id}/schedules/{kind}',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Remove the schedule of an operation kind',
      request: { params: kindParams },
      responses: { 204: { description: 'Removed' }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id, kind } = c.req.valid('param');
      await loadDefinition(id);
      await loadRow(id, kind);
      await saveSchedule(deps, id, kind, null);
      await syncDefinitionSchedules(deps, id);
      return c.body(null, 204);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/sync-definitions/{id}/schedules/{kind}/${action}`,
        tags,
        security,
        middleware: [requireRole('operator')] as const,
        summary: action === 'pause' ? 'Pause a schedule' : 'Resume a paused schedule',
        description:
          action === 'pause'
            ? 'Runs can still be started on request. The note says why (shown in the Temporal Web UI).'
            : 'A disabled definition keeps it paused until enabled.',
        request: {
          params: kindParams,
          body: {
            required: false,
            ...json(
              z
                .object({ note: z.string().max(500).optional() })
                .strict()
                .openapi('SchedulePauseNote'),
            ),
          },
        },
        responses: { 200: { description: 'The schedule', ...json(ScheduleSchema) }, ...commonErrorResponses },
      }),
      async (c) => {
        const { id, kind } = c.req.valid('param');
        const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : {};
        const def = await loadDefinition(id);
        const row = await loadRow(id, kind);
        await saveSchedule(deps, id, kind, {
          cron: row.cron,
          intervalSeconds: row.intervalSeconds,
          paused: action === 'pause',
          note: action === 'pause' ? (body.note ?? 'paused through the API') : null,
        });
        await syncDefinitionSchedules(deps, id);
        return c.json(view(await loadRow(id, kind), def.enabled), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sync-definitions/{id}/schedules/{kind}/trigger',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Fire a schedule now',
      description:
        "Runs the schedule's action once, now (also while paused): it asks the coordinator for the operation. To start one with options, use POST /v1/sync-definitions/{id}/operations/{kind}.",
      request: { params: kindParams },
      responses: { 202: { description: 'Fired', ...json(z.object({ scheduleId: z.string() }).openapi('ScheduleTriggered')) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id, kind } = c.req.valid('param');
      await loadDefinition(id);
      await loadRow(id, kind);
      const scheduleId = operationScheduleId(id, kind);
      try {
        await deps.temporal.client.schedule.getHandle(scheduleId).trigger();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
        // Deleted in Temporal behind the API's back: restore it from the table, then fire.
        await syncDefinitionSchedules(deps, id);
        await deps.temporal.client.schedule.getHandle(scheduleId).trigger();
      }
      return c.json({ scheduleId }, 202);
    },
  );
}
