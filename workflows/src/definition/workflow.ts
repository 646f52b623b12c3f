import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { OperationActivities } from '@syncbridge/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import { isOperationKind, mayRunTogether, OPERATIONS, type OperationKind, type OperationRequest, type OperationTicket } from '@syncbridge/shared/operations';
import { operationWorkflowId } from '@syncbridge/shared/temporal/ids';
import { childStart } from './children.ts';

/*
 * The coordinator of one definition (docs/design/operations.md): the only starter of its
 * operations. It answers requests with tickets, runs writers one at a time in request order,
 * lets read-only operations run beside them, and joins a request to an equal one that is
 * queued and has not started. Operations run as child workflows.
 */

export interface DefinitionWorkflowInput {
  definitionId: string;
  /** Continued as new: the answers already given, so a repeated request gets the same ticket. */
  carry?: { answered: Array<[string, OperationTicket]> };
}

type OpState = 'queued' | 'starting' | 'running' | 'watching';

interface Op {
  runId: string;
  kind: OperationKind;
  workflowId: string;
  request: OperationRequest;
  state: OpState;
  /** The run row exists (the coordinator may start it). */
  recorded: boolean;
}

export interface CoordinatorView {
  definitionId: string;
  operations: Array<{ runId: string; kind: OperationKind; workflowId: string; state: OpState; requestedBy: string }>;
}

export const requestOperationUpdate = defineUpdate<OperationTicket, [OperationRequest]>('requestOperation');
/** A queued operation was cancelled before it started (the API sends it). */
export const cancelQueuedSignal = defineSignal<[{ runId: string }]>('cancelQueued');
export const operationsQuery = defineQuery<CoordinatorView>('operations');

const acts = proxyActivities<OperationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});
/** Watches an operation this coordinator did not start (a predecessor's, found in the meta-store). */
const watcher = proxyActivities<OperationActivities>({
  startToCloseTimeout: '3650 days',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/** Answers kept for idempotency across continue-as-new. */
const ANSWERS_KEPT = 200;

const sameOptions = (a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

export async function definitionWorkflow(input: DefinitionWorkflowInput): Promise<void> {
  const { definitionId } = input;
  const ops: Op[] = [];
  const answered = new Map<string, OperationTicket>(input.carry?.answered ?? []);
  let adopted = false;

  /** The nearest earlier operation this one may not run beside (writers wait for every earlier writer: request order). */
  const blockerOf = (op: Op): Op | undefined => {
    const at = ops.indexOf(op);
    return at < 0 ? undefined : ops.slice(0, at).findLast((o) => !mayRunTogether(o.kind, op.kind));
  };
  const finish = (op: Op) => {
    const i = ops.indexOf(op);
    if (i >= 0) ops.splice(i, 1);
  };
  const remember = (requestId: string, ticket: OperationTicket) => {
    answered.set(requestId, ticket);
    if (answered.size > ANSWERS_KEPT) answered.delete(answered.keys().next().value as string);
    return ticket;
  };

  setHandler(operationsQuery, () => ({
    definitionId,
    operations: ops.map((o) => ({ runId: o.runId, kind: o.kind, workflowId: o.workflowId, state: o.state, requestedBy: o.request.requestedBy })),
  }));

  setHandler(
    requestOperationUpdate,
    async (request) => {
      await condition(() => adopted);
      const previous = answered.get(request.requestId);
      if (previous) return previous;
      // Only a run that has not started yet can serve this request: one already running may
      // have read the source before the change the caller wants synced (at most one waits).
      const same = ops.find((o) => o.state === 'queued' && o.recorded && o.kind === request.kind && sameOptions(o.request.options, request.options));
      if (same) {
        return remember(request.requestId, {
          runId: same.runId,
          kind: same.kind,
          workflowId: same.workflowId,
          state: 'joined',
          reason: `the same ${same.kind} run is already queued; it starts after the run before it`,
        });
      }
      // Decided before the first await, so a concurrent request sees this one.
      const runId = request.runId;
      const op: Op = {
        runId,
        kind: request.kind,
        workflowId: operationWorkflowId(request.kind, definitionId, runId),
        request,
        state: 'queued',
        recorded: false,
      };
      ops.push(op);
      try {
        await acts.createOperationRun({ definitionId, runId, kind: op.kind, workflowId: op.workflowId, request });
      } catch (err) {
        finish(op);
        throw err;
      }
      op.recorded = true;
      const blocker = blockerOf(op);
      return remember(request.requestId, {
        runId,
        kind: op.kind,
        workflowId: op.workflowId,
        state: blocker ? 'queued' : 'started',
        ...(blocker ? { reason: `waits for ${blocker.kind} run ${blocker.runId} to end (two writers never run at once on one definition)` } : {}),
      });
    },
    {
      validator: (request: OperationRequest) => {
        if (!request || !isOperationKind(request.kind))
          throw ApplicationFailure.nonRetryable(`unknown operation kind "${String((request as { kind?: unknown } | undefined)?.kind)}"`, 'InvalidInput');
        if (!OPERATIONS[request.kind].available)
          throw ApplicationFailure.nonRetryable(`the ${request.kind} operation is not available in this version`, 'NotAvailable');
        if (!request.requestId) throw ApplicationFailure.nonRetryable('a request needs a request id', 'InvalidInput');
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(request.runId ?? ''))
          throw ApplicationFailure.nonRetryable('a request needs the run id to use (a UUID)', 'InvalidInput');
      },
    },
  );

  setHandler(cancelQueuedSignal, async ({ runId }) => {
    // Only a recorded run can be cancelled: its row exists, and its caller has its ticket.
    const op = ops.find((o) => o.runId === runId && o.state === 'queued' && o.recorded);
    if (!op) return;
    finish(op);
    await acts.finishOperation({ runId, status: 'cancelled', error: 'cancelled before it started' });
  });

  /** Watches a run until its workflow closes (an adopted one, or a child that could not be started twice). */
  const watch = (op: Op) => {
    op.state = 'watching';
    void watcher.awaitOperationClosed({ runId: op.runId, workflowId: op.workflowId }).then(
      () => finish(op),
      () => finish(op),
    );
  };

  async function start(op: Op): Promise<void> {
    op.state = 'starting';
    const { workflowType, args } = childStart(op.kind, { definitionId, runId: op.runId, request: op.request });
    try {
      const child = await startChild(workflowType, {
        workflowId: op.workflowId,
        args,
        // A coordinator reset or terminated by hand leaves its runs to finish; its successor watches them.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      op.state = 'running';
      void child.result().then(
        () => finish(op),
        () => finish(op),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) watch(op);
      else {
        finish(op);
        await acts.finishOperation({ runId: op.runId, status: 'failed', error: `could not start: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }

  // A coordinator started afresh adopts the definition's unfinished runs (its predecessor's, if any).
  if (!input.carry) {
    for (const active of await acts.activeOperations({ definitionId })) {
      const op: Op = {
        runId: active.runId,
        kind: active.kind,
        workflowId: active.workflowId,
        state: 'queued',
        recorded: true,
        request: { kind: active.kind, requestId: active.runId, runId: active.runId, requestedBy: 'coordinator', trigger: 'api', options: active.options },
      };
      ops.push(op);
      if (active.status !== 'queued') watch(op);
    }
  }
  adopted = true;

  for (;;) {
    const startable = () => ops.filter((o) => o.state === 'queued' && o.recorded && !blockerOf(o));
    await condition(() => startable().length > 0 || (ops.length === 0 && workflowInfo().continueAsNewSuggested));
    if (ops.length === 0 && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (ops.length === 0) await continueAsNew<typeof definitionWorkflow>({ definitionId, carry: { answered: [...answered] } });
    }
    for (const op of startable()) await start(op);
  }
}
