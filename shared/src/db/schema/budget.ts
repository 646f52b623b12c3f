import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, pgTable, primaryKey, real, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The resource-unit budget of each app in each tenant (Microsoft counts "per app per tenant"),
 * shared by every worker and API process through the meta-store (shared/src/graph/shared-budget.ts).
 * Every grant is booked here under a row lock of its budget, so N processes together stay inside
 * one budget; a 429's Retry-After pauses the budget for all of them. The SQL function
 * `syncbridge_budget_acquire` (migration 0009) is the scheduler: priorities, the bulk floor and
 * fair share between definitions.
 */
export const graphBudgets = pgTable('graph_budgets', {
  /** `tenant|client` in lower case (shared/src/graph/config.ts connectionKey). */
  key: text('key').primaryKey(),
  /** Every request of the app waits until then (a 429/503 with Retry-After, or RateLimit-Remaining 0). */
  pausedUntil: timestamp('paused_until', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Spends of the last minutes, one per granted request (pruned after ten minutes). */
export const graphBudgetGrants = pgTable(
  'graph_budget_grants',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    key: text('key').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    cost: integer('cost').notNull(),
    /** 0 interactive, 1 incremental, 2 bulk; null for spends someone else made (seen in RateLimit-Remaining). */
    priority: smallint('priority'),
    definitionId: uuid('definition_id'),
    runId: uuid('run_id'),
  },
  (t) => [index('graph_budget_grants_key_at_idx').on(t.key, t.at)],
);

/** Requests waiting for budget, refreshed while they wait (a dead process's entries expire). */
export const graphBudgetWaiters = pgTable(
  'graph_budget_waiters',
  {
    waiterId: uuid('waiter_id').primaryKey(),
    key: text('key').notNull(),
    priority: smallint('priority').notNull(),
    definitionId: uuid('definition_id'),
    runId: uuid('run_id'),
    weight: real('weight').notNull().default(1),
    cost: integer('cost').notNull(),
    /** Which process waits (host/pid), for the API's queue view. */
    holder: text('holder'),
    since: timestamp('since', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('graph_budget_waiters_key_idx').on(t.key, t.priority)],
);

/** RU spent per hour, for the daily budget (the last 24 hours). */
export const graphBudgetHours = pgTable(
  'graph_budget_hours',
  {
    key: text('key').notNull(),
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    cost: bigint('cost', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.hour] }), check('graph_budget_hours_cost_ck', sql`${t.cost} >= 0`)],
);
