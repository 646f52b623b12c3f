import { eq, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import type { ActivityDeps } from '../deps.ts';

/*
 * What operations that ask before they change much share (drift_repair, reshard): the run held
 * for a person with the plan's summary, and the decision recorded on the plan and the run.
 */

export interface PlanHold {
  runRowId: string;
  /** The hold's kind as the run shows it: 'drift-repair', 'reshard'. */
  kind: string;
  summary: string;
  total: number;
}

/** Marks the run as waiting for approval, the plan's summary as its hold. */
export async function holdForApproval(deps: ActivityDeps, input: PlanHold): Promise<void> {
  const hold = { kind: input.kind, since: new Date().toISOString(), actions: input.total, message: input.summary };
  await deps.store.db.update(schema.syncRuns).set({ status: 'awaiting_approval', hold }).where(eq(schema.syncRuns.id, input.runRowId));
}

/** Records the decision on the plan and on the run's hold; the run goes on (approved) or ends (rejected). */
export async function recordPlanDecision(deps: ActivityDeps, input: { runRowId: string; decision: 'approve' | 'reject'; by: string }): Promise<void> {
  const at = new Date();
  const decided = { decision: input.decision === 'approve' ? 'approved' : 'rejected', by: input.by, at: at.toISOString() };
  await deps.store.db.transaction(async (tx) => {
    await tx
      .update(schema.operationPlans)
      .set({ status: input.decision === 'approve' ? 'approved' : 'rejected', decidedBy: input.by, decidedAt: at, updatedAt: at })
      .where(eq(schema.operationPlans.runId, input.runRowId));
    await tx
      .update(schema.syncRuns)
      .set({ status: 'running', hold: sql`coalesce(${schema.syncRuns.hold}, '{}'::jsonb) || ${JSON.stringify({ decided })}::jsonb` })
      .where(eq(schema.syncRuns.id, input.runRowId));
  });
}
