import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, inArray } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { ACTIVE_RUN_STATUSES, lockDefinition, OPERATIONS, type OperationKind, type OperationRequest, type OperationTicket } from '@syncbridge/shared/domain';
import { FailureType } from '@syncbridge/shared/errors';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, withHeartbeat, type ActivityDeps } from '../deps.ts';
import { freezeContextNow } from '../sync/definition.ts';
import { finishRunRow } from '../sync/runs.ts';
import { holdForApproval, recordPlanDecision, type PlanHold } from './plans.ts';

/*
 * The lifecycle every operation shares (docs/design/operations.md): the coordinator creates
 * the run row, the operation begins (resolves its source instance and freezes its context),
 * and finishes. The run row's id is the run id everyone uses: API, coordinator, workflow ids.
 */

type RunStatus = (typeof schema.runStatus.enumValues)[number];

export interface ActiveOperation {
  runId: string;
  kind: OperationKind;
  workflowId: string;
  status: RunStatus;
  options: Record<string, unknown>;
}

export function createOperationActivities(deps: ActivityDeps) {
  const { db } = deps.store;

  return {
    /** Holds a run that asks before it changes much (drift repair, reshard) for a person, with its plan's summary. */
    async holdForApproval(input: PlanHold): Promise<void> {
      return holdForApproval(deps, input);
    },

    /** Records a person's (or the auto-approval's) decision on a run's plan. */
    async recordPlanDecision(input: { runRowId: string; decision: 'approve' | 'reject'; by: string }): Promise<void> {
      return recordPlanDecision(deps, input);
    },

    /**
     * The coordinator's record of an accepted request, before it answers: the run exists
     * (queued) as soon as the caller has its id. Locks the definition row, as edits do, so an
     * edit either happens before (and the run sees it) or is refused (the run is active).
     */
    async createOperationRun(input: {
      definitionId: string;
      runId: string;
      kind: OperationKind;
      workflowId: string;
      request: OperationRequest;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        if (!(await lockDefinition(tx, input.definitionId)))
          throw ApplicationFailure.nonRetryable(`sync definition ${input.definitionId} does not exist`, FailureType.NotFound);
        await tx
          .insert(schema.syncRuns)
          .values({
            id: input.runId,
            definitionId: input.definitionId,
            kind: input.kind,
            workflowId: input.workflowId,
            status: 'queued',
            trigger: input.request.trigger,
            requestId: input.request.requestId,
            requestedBy: input.request.requestedBy,
            options: input.request.options ?? {},
          })
          .onConflictDoNothing();
      });
    },

    /** Resolves the source instance and freezes what the run works on; the run is running from here. */
    async beginOperation(input: {
      definitionId: string;
      runId: string;
      kind: OperationKind;
      context: RunContext;
    }): Promise<{ instanceId: string; reason: string }> {
      const log = activityLog(deps, input.context);
      const { frozen, reason } = await freezeContextNow(deps, input.definitionId, {
        writesToSource: input.kind === 'ingress',
        writesWhenTwoWay: input.kind === 'push',
      });
      const temporalRunId = Context.current().info.workflowExecution?.runId;
      await db
        .update(schema.syncRuns)
        .set({ status: 'running', startedAt: new Date(), instanceId: frozen.instanceId, context: frozen, ...(temporalRunId ? { temporalRunId } : {}) })
        .where(eq(schema.syncRuns.id, input.runId));
      log.info({ definitionId: input.definitionId, runId: input.runId, kind: input.kind, instance: reason }, 'operation began');
      return { instanceId: frozen.instanceId, reason };
    },

    async finishOperation(input: {
      runId: string;
      status: 'succeeded' | 'failed' | 'cancelled';
      counts?: Record<string, number>;
      error?: string;
    }): Promise<void> {
      await finishRunRow(db, { runRowId: input.runId, status: input.status, ...(input.counts ? { counts: input.counts } : {}), error: input.error });
    },

    /** The definition's unfinished runs: what a coordinator started afresh must wait for. */
    async activeOperations(input: { definitionId: string }): Promise<ActiveOperation[]> {
      const rows = await db
        .select({
          runId: schema.syncRuns.id,
          kind: schema.syncRuns.kind,
          workflowId: schema.syncRuns.workflowId,
          status: schema.syncRuns.status,
          options: schema.syncRuns.options,
        })
        .from(schema.syncRuns)
        .where(and(eq(schema.syncRuns.definitionId, input.definitionId), inArray(schema.syncRuns.status, [...ACTIVE_RUN_STATUSES])))
        .orderBy(schema.syncRuns.createdAt);
      return rows
        .filter((r) => r.kind in OPERATIONS)
        .map((r) => ({ ...r, kind: r.kind as OperationKind, options: (r.options ?? {}) as Record<string, unknown> }));
    },

    /**
     * Waits until an operation's workflow has closed. A run whose workflow Temporal does not
     * know (never started, or its history is gone) cannot end by itself: it is marked failed.
     */
    async awaitOperationClosed(input: { runId: string; workflowId: string }): Promise<void> {
      if (!deps.coordinators) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to watch operations', FailureType.InvalidInput);
      const outcome = await withHeartbeat(() => deps.coordinators!.waitClosed(input.workflowId, Context.current().cancellationSignal));
      const [run] = await db.select({ status: schema.syncRuns.status }).from(schema.syncRuns).where(eq(schema.syncRuns.id, input.runId));
      if (run && (ACTIVE_RUN_STATUSES as readonly string[]).includes(run.status)) {
        const why = outcome === 'unknown' ? 'its workflow does not exist in Temporal' : 'its workflow closed without recording an outcome (terminated?)';
        await finishRunRow(db, { runRowId: input.runId, status: 'failed', error: `run lost: ${why}` });
      }
    },

    /** Asks a definition's coordinator for an operation (schedules, and operations started outside a coordinator). */
    async requestOperation(input: { definitionId: string; request: OperationRequest }): Promise<OperationTicket> {
      if (!deps.coordinators) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to reach coordinators', FailureType.InvalidInput);
      return deps.coordinators.request(input.definitionId, input.request);
    },
  };
}

export type OperationActivities = ReturnType<typeof createOperationActivities>;
