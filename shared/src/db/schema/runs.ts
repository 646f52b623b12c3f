import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './common.ts';
import { databaseInstances } from './sources.ts';
import { syncDefinitions } from './sync.ts';

/**
 * Operation kinds (shared/src/domain/operations.ts). `drift` and `failover` are kept for rows
 * written before the operation model; new runs use `drift_check` / `drift_repair` and `rebind`.
 */
export const runKind = pgEnum('run_kind', [
  'push',
  'ingress',
  'provision',
  'reshard',
  'drift',
  'failover',
  'health',
  'drift_check',
  'drift_repair',
  'rebind',
  'ledger_rebuild',
]);
export const runStatus = pgEnum('run_status', ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'awaiting_approval']);
export const conflictStatus = pgEnum('conflict_status', ['open', 'resolved', 'dismissed']);

export const syncRuns = pgTable(
  'sync_runs',
  {
    id: id(),
    definitionId: uuid('definition_id').references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    kind: runKind('kind').notNull(),
    workflowId: text('workflow_id').notNull(),
    temporalRunId: text('temporal_run_id'),
    status: runStatus('status').notNull().default('queued'),
    trigger: text('trigger').notNull().default('api'),
    requestId: text('request_id'),
    /** Who asked: an API key id, or 'schedule'. */
    requestedBy: text('requested_by'),
    /** The source instance the run resolved when it began. */
    instanceId: uuid('instance_id').references(() => databaseInstances.id, { onDelete: 'set null' }),
    /** What the run works on, frozen when it began (definition, mappings, targets; never secrets). */
    context: jsonb('context'),
    /** Operation options as requested (e.g. fullResync). */
    options: jsonb('options').notNull().default({}),
    counts: jsonb('counts').notNull().default({}),
    errors: jsonb('errors').notNull().default([]),
    /** What the run expects: rows to do, the budget it runs under, the phase it is in (for progress and time-left estimates). */
    progress: jsonb('progress').notNull().default({}),
    /** Why a run waits for a person (e.g. the mass-delete guard) and, once decided, who decided what. */
    hold: jsonb('hold'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('sync_runs_definition_idx').on(t.definitionId, t.createdAt),
    uniqueIndex('sync_runs_workflow_uq').on(t.workflowId),
    index('sync_runs_list_idx').on(t.createdAt, t.id),
    // Written with the statuses that ended (migrations run in one transaction, which cannot use a value its enum just gained).
    index('sync_runs_active_idx')
      .on(t.definitionId, t.kind)
      .where(sql`${t.status} not in ('succeeded', 'failed', 'cancelled')`),
  ],
);

/** One Temporal Schedule per definition and operation kind (kept equal to this table). */
export const operationSchedules = pgTable(
  'operation_schedules',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    kind: runKind('kind').notNull(),
    /** Cron expression (UTC); or intervalSeconds. */
    cron: text('cron'),
    intervalSeconds: integer('interval_seconds'),
    /** Paused by a person; a disabled definition pauses all its schedules as well. */
    paused: boolean('paused').notNull().default(false),
    note: text('note'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('operation_schedules_definition_kind_uq').on(t.definitionId, t.kind),
    check('operation_schedules_spec_ck', sql`(${t.cron} is null) <> (${t.intervalSeconds} is null)`),
    check('operation_schedules_interval_ck', sql`${t.intervalSeconds} is null or ${t.intervalSeconds} >= 10`),
  ],
);

export const driftReports = pgTable(
  'drift_reports',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').references(() => syncRuns.id, { onDelete: 'set null' }),
    summary: jsonb('summary').notNull(),
    findings: jsonb('findings').notNull().default([]),
    /** Graph requests the check spent reading the lists (one per page; each costs the RU of a list read). */
    graphRequests: integer('graph_requests').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('drift_reports_definition_idx').on(t.definitionId, t.createdAt)],
);

export const planStatus = pgEnum('plan_status', ['planned', 'approved', 'rejected', 'applied', 'failed']);

/**
 * The plan of an operation that asks before it changes much (drift_repair, reshard): one per run.
 * What it found and will do (counts per class and action), every action, the decision, and once
 * applied what came of each. Shown through the API (GET /v1/sync-runs/{id}/plan) before approval.
 */
export const operationPlans = pgTable(
  'operation_plans',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    runId: uuid('run_id')
      .notNull()
      .references(() => syncRuns.id, { onDelete: 'cascade' }),
    kind: runKind('kind').notNull(),
    /** drift_repair: the report the repair was asked for (the plan itself comes from a fresh comparison). */
    reportId: uuid('report_id').references(() => driftReports.id, { onDelete: 'set null' }),
    status: planStatus('status').notNull().default('planned'),
    /** Counts per class and action, and what the plan was made from. */
    summary: jsonb('summary').notNull(),
    /** Every action, in the order it is applied. */
    actions: jsonb('actions').notNull().default([]),
    /** While and once applied: counts per action and outcome, the actions that failed with why, how far it got. */
    outcome: jsonb('outcome'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('operation_plans_run_uq').on(t.runId), index('operation_plans_definition_idx').on(t.definitionId, t.createdAt)],
);

/** Manual-review queue for conflicts the policy did not settle. */
export const conflicts = pgTable(
  'conflicts',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    sourceKey: text('source_key').notNull(),
    status: conflictStatus('status').notNull().default('open'),
    sourceValue: jsonb('source_value'),
    listValue: jsonb('list_value'),
    resolution: text('resolution'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('conflicts_definition_status_idx').on(t.definitionId, t.status)],
);

/** Rows that could not be converted; kept with the reason until fixed at the source. */
export const quarantine = pgTable(
  'quarantine',
  {
    id: id(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => syncDefinitions.id, { onDelete: 'cascade' }),
    sourceKey: text('source_key').notNull(),
    reason: text('reason').notNull(),
    detail: jsonb('detail'),
    firstSeenAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    index('quarantine_definition_idx').on(t.definitionId, t.resolvedAt),
    // One open entry per row key; resolved entries stay as history.
    uniqueIndex('quarantine_open_uq')
      .on(t.definitionId, t.sourceKey)
      .where(sql`${t.resolvedAt} is null`),
  ],
);
