/*
 * Operations on a sync definition and which of them may run together (docs/design/operations.md).
 * This table is the one place the rule is written: the definition's coordinator workflow
 * applies it to start or queue operations, the API to refuse edits while a writer is active.
 */

export const OPERATION_KINDS = ['push', 'provision', 'ingress', 'drift_check', 'drift_repair', 'reshard', 'rebind', 'ledger_rebuild'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export interface OperationSpec {
  /** Changes lists, the ledger, the source or the definition's binding: never beside another writer. */
  writes: boolean;
  /** May have a Temporal Schedule of its own. */
  schedulable: boolean;
  /** Built in this version (the others are answered with a clear "not available yet"). */
  available: boolean;
  summary: string;
}

export const OPERATIONS: Record<OperationKind, OperationSpec> = {
  push: { writes: true, schedulable: true, available: true, summary: 'changed rows from the table to the lists (and deletions)' },
  provision: { writes: true, schedulable: false, available: true, summary: 'create or adopt the lists and their columns; persist the default mapping' },
  ingress: { writes: true, schedulable: true, available: true, summary: 'changes made in the lists back into the table' },
  drift_check: { writes: false, schedulable: true, available: true, summary: 'compare table, ledger and lists; report, change nothing' },
  drift_repair: {
    writes: true,
    schedulable: false,
    available: true,
    summary: 'repair what a drift check found: plan, approval (unless within driftRepairAutoApproveMax), apply; options.reportId, options.dryRun',
  },
  reshard: {
    writes: true,
    schedulable: false,
    available: true,
    summary: 'move items whose rows route to another list now (plan, approval unless options.approve, moves); options.dryRun',
  },
  rebind: {
    writes: true,
    schedulable: false,
    available: true,
    summary:
      'failover runbook: check another instance of the database, wait for approval, pause schedules, rebind (or promote), re-baseline the cursor, resume, catch-up push; options.toInstanceId, cursor, rewindSeconds, promote, dryRun, approve',
  },
  ledger_rebuild: {
    writes: true,
    schedulable: false,
    available: true,
    summary: "rebuild the ledger from the lists' key column (disaster recovery); options.dryRun only counts",
  },
};

export const isOperationKind = (v: unknown): v is OperationKind => typeof v === 'string' && (OPERATION_KINDS as readonly string[]).includes(v);

/** Two operations may run at once on one definition unless both write. */
export const mayRunTogether = (a: OperationKind, b: OperationKind): boolean => !OPERATIONS[a].writes || !OPERATIONS[b].writes;

/** Run statuses of an operation that still holds its place (the coordinator's and the edit check's view). */
export const ACTIVE_RUN_STATUSES = ['queued', 'running', 'awaiting_approval'] as const;

/** A definition field group a writer reads: edits of these wait until no writer is active. */
export const GUARDED_DEFINITION_FIELDS = [
  'databaseId',
  'sourceInstanceId',
  'sourceSchema',
  'sourceTable',
  'keyStrategy',
  'keyColumns',
  'cursorStrategy',
  'cursorColumn',
  'targetStrategy',
  'direction',
] as const;

/** What a caller asks the coordinator for. */
export interface OperationRequest {
  kind: OperationKind;
  /** Idempotency: the same request id always gets the same answer. */
  requestId: string;
  /**
   * The id the run gets if this request creates one (a UUID the caller draws). It travels in
   * the request so the coordinator's history holds it: replaying the coordinator never has
   * to draw it again. A joined request answers with the existing run's id instead.
   */
  runId: string;
  /** An API key id, 'schedule', or 'change-capture' (a logical-replication definition's watcher). */
  requestedBy: string;
  trigger: 'api' | 'schedule' | 'change';
  /** Kind-specific options (push: fullResync). Requests with equal options join one run. */
  options?: Record<string, unknown>;
}

/** The coordinator's answer. */
export interface OperationTicket {
  runId: string;
  kind: OperationKind;
  /** The operation's own workflow id (a child of the coordinator). */
  workflowId: string;
  /** started: runs now; queued: waits for a writer to finish; joined: the same operation was already asked for. */
  state: 'started' | 'queued' | 'joined';
  /** Why it waits, or what it joined. */
  reason?: string;
}
