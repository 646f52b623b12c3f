import { and, eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';

export interface HealthProbeResult {
  runId: string;
  databaseTime: string;
  recordedBy: string;
}

export function createHealthActivities(deps: ActivityDeps) {
  return {
    /** Records the probe as a sync_runs row; a retry finds the row it wrote before. */
    async recordHealthProbe(input: { context: RunContext; workflowId: string }): Promise<HealthProbeResult> {
      const log = activityLog(deps, input.context);
      const { db, sql } = deps.store;
      const recordedBy = `pid ${process.pid}`;
      const [existing] = await db
        .select({ id: schema.syncRuns.id })
        .from(schema.syncRuns)
        .where(and(eq(schema.syncRuns.workflowId, input.workflowId), eq(schema.syncRuns.kind, 'health')))
        .limit(1);
      const runId =
        existing?.id ??
        (
          await db
            .insert(schema.syncRuns)
            .values({
              kind: 'health',
              workflowId: input.workflowId,
              status: 'succeeded',
              trigger: 'api',
              requestId: input.context.requestId,
              startedAt: new Date(),
              finishedAt: new Date(),
            })
            .returning({ id: schema.syncRuns.id })
        )[0]!.id;
      // drizzle's postgres-js driver returns timestamps as text; normalise to ISO.
      const [now] = await sql<{ now: string }[]>`select now()::text as now`;
      log.info({ healthRunId: runId }, 'health probe recorded');
      return { runId, databaseTime: new Date(now!.now).toISOString(), recordedBy };
    },
  };
}

export type HealthActivities = ReturnType<typeof createHealthActivities>;
