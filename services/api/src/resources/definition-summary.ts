import { createRoute, z } from '@hono/zod-openapi';
import { and, count, desc, eq, inArray, isNull } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { ACTIVE_RUN_STATUSES, ledgerSize, OPERATION_KINDS, type OperationKind } from '@syncbridge/shared/domain';
import { operationScheduleId } from '@syncbridge/shared/temporal/ids';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { commonErrorResponses, notFound } from '../lib/problem.ts';
import { RunSchema, runView } from './run-view.ts';

/** How long the summary waits for Temporal to say when a schedule fires next; past it, nextRunAt is null. */
const SCHEDULE_DESCRIBE_DEADLINE_MS = 3_000;

const ScheduleState = z.object({
  kind: z.enum(OPERATION_KINDS),
  paused: z.boolean(),
  effectivelyPaused: z.boolean().openapi({ description: 'paused, or the definition is disabled' }),
  nextRunAt: z
    .string()
    .datetime()
    .nullable()
    .openapi({ description: 'When Temporal fires it next; null while paused, or when Temporal did not answer in time' }),
});

const Summary = z
  .object({
    definitionId: z.string().uuid(),
    lastRun: RunSchema.nullable().openapi({ description: 'The newest run of any kind (with its status, counts and progress); null before the first' }),
    activeRuns: z.number().int().openapi({ description: 'Runs queued, running or awaiting approval' }),
    quarantineOpen: z.number().int().openapi({ description: 'Open quarantine entries (rows that could not be synced)' }),
    ledgerEntries: z.number().int().openapi({ description: 'Rows the ledger knows in SharePoint' }),
    schedules: z.array(ScheduleState),
    nextRunAt: z.string().datetime().nullable().openapi({ description: 'The earliest nextRunAt of its schedules' }),
  })
  .openapi('SyncDefinitionSummary');

async function nextFire(deps: ApiDeps, definitionId: string, kind: OperationKind): Promise<string | null> {
  const describe = deps.temporal.client.schedule.getHandle(operationScheduleId(definitionId, kind)).describe();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), SCHEDULE_DESCRIBE_DEADLINE_MS)));
  try {
    const described = await Promise.race([describe, timeout]);
    return described?.info.nextActionTimes[0]?.toISOString() ?? null;
  } catch {
    // A schedule missing in Temporal is restored by the API's reconciliation; until then it has no next time.
    return null;
  } finally {
    clearTimeout(timer);
    describe.catch(() => {});
  }
}

/** One definition at a glance: what ran last, what waits, what could not be synced and when it runs next (the dashboard's row). */
export function registerDefinitionSummary(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/summary',
      tags: ['Sync runs'],
      security: [{ bearerAuth: [] }],
      middleware: [requireRole('viewer')] as const,
      summary: 'A definition at a glance: last run, active runs, quarantine size, next scheduled run',
      description: `nextRunAt comes from Temporal; it is null for a paused schedule or when Temporal does not answer within ${SCHEDULE_DESCRIBE_DEADLINE_MS / 1000} s.`,
      request: {
        params: z.object({
          id: z
            .string()
            .uuid()
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 200: { description: 'The summary', content: { 'application/json': { schema: Summary } } }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [def] = await db.select({ enabled: schema.syncDefinitions.enabled }).from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, id));
      if (!def) throw notFound('SyncDefinition', id);
      const runs = schema.syncRuns;
      const [[last], [active], [quarantined], ledger, scheduleRows] = await Promise.all([
        db.select().from(runs).where(eq(runs.definitionId, id)).orderBy(desc(runs.createdAt), desc(runs.id)).limit(1),
        db
          .select({ n: count() })
          .from(runs)
          .where(and(eq(runs.definitionId, id), inArray(runs.status, [...ACTIVE_RUN_STATUSES]))),
        db
          .select({ n: count() })
          .from(schema.quarantine)
          .where(and(eq(schema.quarantine.definitionId, id), isNull(schema.quarantine.resolvedAt))),
        ledgerSize(db, id),
        db.select().from(schema.operationSchedules).where(eq(schema.operationSchedules.definitionId, id)).orderBy(schema.operationSchedules.kind),
      ]);
      const schedules = await Promise.all(
        scheduleRows.map(async (row) => {
          const kind = row.kind as OperationKind;
          const effectivelyPaused = row.paused || !def.enabled;
          return { kind, paused: row.paused, effectivelyPaused, nextRunAt: effectivelyPaused ? null : await nextFire(deps, id, kind) };
        }),
      );
      const next = schedules
        .map((s) => s.nextRunAt)
        .filter((t): t is string => t !== null)
        .sort()[0];
      return c.json(
        {
          definitionId: id,
          lastRun: last ? runView(deps, last) : null,
          activeRuns: active?.n ?? 0,
          quarantineOpen: quarantined?.n ?? 0,
          ledgerEntries: ledger,
          schedules,
          nextRunAt: next ?? null,
        },
        200,
      );
    },
  );
}
