import { Context } from '@temporalio/activity';
import type { SecretBox } from '@syncbridge/shared/crypto';
import type { MetaStore } from '@syncbridge/shared/db';
import type { OperationKind, OperationRequest, OperationTicket } from '@syncbridge/shared/operations';
import { GatewayRegistry, SharedBudgetStore } from '@syncbridge/shared/graph';
import type { Logger } from '@syncbridge/shared/logger';
import { EgressPolicy } from '@syncbridge/shared/net';
import type { RunContext } from '@syncbridge/shared/temporal';
import { SourceSessions } from './sync/sources.ts';
import { SchemaCache } from './sync/table.ts';

/** How activities reach a definition's coordinator workflow (a Temporal client in the worker; a fake in tests). */
export interface Coordinators {
  /** Asks the definition's coordinator for an operation (update-with-start). */
  request(definitionId: string, request: OperationRequest): Promise<OperationTicket>;
  /** Resolves when the workflow has closed ('closed'), or at once if Temporal does not know it ('unknown'). */
  waitClosed(workflowId: string, signal: AbortSignal): Promise<'closed' | 'unknown'>;
  /** Pauses or resumes the Temporal Schedule of one of a definition's operation kinds; false when it has none. */
  setSchedulePaused(definitionId: string, kind: OperationKind, paused: boolean, note: string): Promise<boolean>;
}

/** Everything activities touch. The worker owns it and closes it on shutdown; tests swap parts. */
export interface ActivityDeps {
  store: MetaStore;
  secrets: SecretBox;
  logger: Logger;
  /** Sessions (connection pools) to source instances, whatever their engine. */
  sources: SourceSessions;
  /** Graph gateways per SharePoint connection. */
  graph: GatewayRegistry;
  /** Short-lived introspections of source tables. */
  schemas: SchemaCache;
  /** Null where activities need not start operations (they then refuse to). */
  coordinators: Coordinators | null;
  /** Where source and Graph connections may go (shared/src/net/egress.ts): the same policy as the API's. */
  egress: EgressPolicy;
  /** A push activity goes on to the next page while it has run less than this (WORKER_PUSH_SLICE_MS; 0: one page). */
  pushSliceMs: number;
}

export type BaseActivityDeps = Pick<ActivityDeps, 'store' | 'secrets' | 'logger'> & Partial<Omit<ActivityDeps, 'store' | 'secrets' | 'logger'>>;

/** Builds the owned parts; `close()` releases the pools and gateways (not the meta-store, which the caller owns). */
export function createActivityDeps(base: BaseActivityDeps): ActivityDeps & { close(): Promise<void> } {
  // Without a policy of its own the strict default applies: built-in refusals, no local mode.
  const egress = base.egress ?? new EgressPolicy();
  const deps: ActivityDeps = {
    store: base.store,
    secrets: base.secrets,
    logger: base.logger,
    egress,
    sources: base.sources ?? new SourceSessions(egress),
    graph: base.graph ?? new GatewayRegistry({ egress, budgetStore: new SharedBudgetStore(base.store.sql, base.logger) }),
    schemas: base.schemas ?? new SchemaCache(egress),
    coordinators: base.coordinators ?? null,
    pushSliceMs: base.pushSliceMs ?? 5_000,
  };
  return {
    ...deps,
    async close() {
      await deps.graph.close();
      deps.schemas.clear();
      await deps.sources.close();
    },
  };
}

/** A logger carrying the API request id and the Temporal ids of the running activity. */
export function activityLog(deps: ActivityDeps, context: RunContext): Logger {
  const info = Context.current().info;
  return deps.logger.child({
    requestId: context.requestId,
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    activity: info.activityType,
    attempt: info.attempt,
  });
}

/**
 * Heartbeats on a timer while `work` runs. A batch's Graph calls can take long under
 * throttling; the heartbeat timeout is there to notice a dead worker, not slow Graph.
 * Cancellation reaches an activity only through a heartbeat's answer, so they are
 * frequent (the worker caps the throttle at the same interval: see createSyncBridgeWorker).
 */
export const HEARTBEAT_EVERY_MS = 2_000;

export async function withHeartbeat<T>(work: () => Promise<T>, everyMs = HEARTBEAT_EVERY_MS): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
