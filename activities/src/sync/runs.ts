import { eq, sql } from 'drizzle-orm';
import { schema, type MetaDb } from '@syncbridge/shared/db';
import type { RunContext } from '@syncbridge/shared/temporal';
import type { ActivityDeps } from '../deps.ts';

type RunKind = (typeof schema.runKind.enumValues)[number];
type RunStatus = (typeof schema.runStatus.enumValues)[number];

/** One sync_runs row per workflow id: a retried or continued-as-new run finds its row. */
export async function upsertRunRow(
  db: MetaDb,
  input: { definitionId: string; workflowId: string; temporalRunId?: string; kind: RunKind; trigger: string; context: RunContext; status?: RunStatus },
): Promise<string> {
  const [row] = await db
    .insert(schema.syncRuns)
    .values({
      definitionId: input.definitionId,
      workflowId: input.workflowId,
      temporalRunId: input.temporalRunId,
      kind: input.kind,
      trigger: input.trigger,
      requestId: input.context.requestId,
      status: input.status ?? 'running',
      startedAt: new Date(),
    })
    .onConflictDoUpdate({ target: schema.syncRuns.workflowId, set: { status: input.status ?? 'running', temporalRunId: input.temporalRunId } })
    .returning({ id: schema.syncRuns.id });
  return row!.id;
}

/** Without counts, the counts committed along the way stay. */
export async function finishRunRow(db: MetaDb, input: { runRowId: string; status: RunStatus; counts?: Record<string, number>; error?: string | undefined }) {
  await db
    .update(schema.syncRuns)
    .set({
      status: input.status,
      ...(input.counts ? { counts: input.counts } : {}),
      finishedAt: new Date(),
      ...(input.error ? { errors: sql`${schema.syncRuns.errors} || ${JSON.stringify([{ at: new Date().toISOString(), message: input.error }])}::jsonb` } : {}),
    })
    .where(eq(schema.syncRuns.id, input.runRowId));
}

/** Generic begin/finish for short operational workflows (provisioning, drift, ...). */
export function createRunActivities(deps: ActivityDeps) {
  return {
    async beginRun(input: { definitionId: string; workflowId: string; kind: RunKind; context: RunContext }): Promise<string> {
      return upsertRunRow(deps.store.db, { ...input, trigger: input.context.requestedBy === 'schedule' ? 'schedule' : 'api' });
    },
    async finishRun(input: { runRowId: string; status: RunStatus; counts: Record<string, number>; error?: string }): Promise<void> {
      await finishRunRow(deps.store.db, input);
    },
  };
}
export type RunActivities = ReturnType<typeof createRunActivities>;

/**
 * The single list a push run writes to, when it was asked with `targetId` ("push this run to
 * list X only"); null for an ordinary run. Read from the run's recorded options.
 */
export async function onlyTargetOf(db: MetaDb, runRowId: string): Promise<string | null> {
  const [run] = await db.select({ options: schema.syncRuns.options }).from(schema.syncRuns).where(eq(schema.syncRuns.id, runRowId));
  const targetId = (run?.options as Record<string, unknown> | undefined)?.targetId;
  return typeof targetId === 'string' ? targetId : null;
}
