CREATE TYPE "public"."delete_sweep" AS ENUM('every_run', 'interval', 'off');--> statement-breakpoint
CREATE TABLE "graph_budget_grants" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"cost" integer NOT NULL,
	"priority" smallint,
	"definition_id" uuid,
	"run_id" uuid
);
--> statement-breakpoint
CREATE TABLE "graph_budget_hours" (
	"key" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"cost" bigint NOT NULL,
	CONSTRAINT "graph_budget_hours_key_hour_pk" PRIMARY KEY("key","hour"),
	CONSTRAINT "graph_budget_hours_cost_ck" CHECK ("graph_budget_hours"."cost" >= 0)
);
--> statement-breakpoint
CREATE TABLE "graph_budget_waiters" (
	"waiter_id" uuid PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"priority" smallint NOT NULL,
	"definition_id" uuid,
	"run_id" uuid,
	"weight" real DEFAULT 1 NOT NULL,
	"cost" integer NOT NULL,
	"holder" text,
	"since" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "graph_budgets" (
	"key" text PRIMARY KEY NOT NULL,
	"paused_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sharepoint_connections" ADD COLUMN "ru_per_day" integer;--> statement-breakpoint
ALTER TABLE "sharepoint_connections" ADD COLUMN "bulk_share" real DEFAULT 0.5 NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "delete_sweep" "delete_sweep" DEFAULT 'every_run' NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "delete_sweep_interval_seconds" integer;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "last_delete_sweep_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "budget_weight" real DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "graph_budget_grants_key_at_idx" ON "graph_budget_grants" USING btree ("key","at");--> statement-breakpoint
CREATE INDEX "graph_budget_waiters_key_idx" ON "graph_budget_waiters" USING btree ("key","priority");--> statement-breakpoint
ALTER TABLE "sharepoint_connections" ADD CONSTRAINT "sharepoint_connections_ru_day_ck" CHECK ("sharepoint_connections"."ru_per_day" is null or "sharepoint_connections"."ru_per_day" > 0);--> statement-breakpoint
ALTER TABLE "sharepoint_connections" ADD CONSTRAINT "sharepoint_connections_bulk_share_ck" CHECK ("sharepoint_connections"."bulk_share" > 0 and "sharepoint_connections"."bulk_share" <= 1);--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_delete_sweep_ck" CHECK (("sync_definitions"."delete_sweep" = 'interval') = ("sync_definitions"."delete_sweep_interval_seconds" is not null));--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_delete_sweep_interval_ck" CHECK ("sync_definitions"."delete_sweep_interval_seconds" is null or "sync_definitions"."delete_sweep_interval_seconds" >= 60);--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_budget_weight_ck" CHECK ("sync_definitions"."budget_weight" > 0 and "sync_definitions"."budget_weight" <= 100);--> statement-breakpoint
-- The scheduler of the shared RU budget (shared/src/graph/shared-budget.ts). One call per request that
-- wants `p_cost` RU: 0 means granted (and booked); otherwise the milliseconds to wait before asking again.
-- Under the budget's row lock: a 429 pause stops everyone; the next request served is the waiting one of
-- the highest priority (0 interactive, 1 incremental, 2 bulk) except that bulk goes first while it has had
-- less than `p_bulk_share` of the window's (non-zero) spend; within a priority, the definition that spent least per
-- unit of weight, then the longest waiting. It is granted when its cost fits the sliding window and the
-- last 24 hours' budget.
CREATE FUNCTION syncbridge_budget_acquire(
  p_key text, p_limit integer, p_day_limit integer, p_window_ms integer, p_cost integer,
  p_waiter uuid, p_priority smallint, p_definition uuid, p_run uuid, p_weight real,
  p_bulk_share real, p_holder text
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_window interval := make_interval(secs => p_window_ms / 1000.0);
  v_paused timestamptz;
  v_spent bigint;
  v_bulk bigint;
  v_day bigint;
  v_bulk_first boolean;
  v_next_waiter uuid;
  v_next_cost integer;
  v_free_at timestamptz;
  v_wait integer := 0;
BEGIN
  INSERT INTO graph_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  SELECT paused_until INTO v_paused FROM graph_budgets WHERE key = p_key FOR UPDATE;
  DELETE FROM graph_budget_waiters WHERE key = p_key AND expires_at < v_now;
  INSERT INTO graph_budget_waiters (waiter_id, key, priority, definition_id, run_id, weight, cost, holder, since, expires_at)
    VALUES (p_waiter, p_key, p_priority, p_definition, p_run, p_weight, least(p_cost, p_limit), p_holder, v_now, v_now + interval '15 seconds')
    ON CONFLICT (waiter_id) DO UPDATE SET expires_at = excluded.expires_at;
  IF v_paused IS NOT NULL AND v_paused > v_now THEN
    v_wait := ceil(extract(epoch FROM v_paused - v_now) * 1000)::integer;
  ELSE
    SELECT coalesce(sum(cost), 0), coalesce(sum(cost) FILTER (WHERE priority = 2), 0) INTO v_spent, v_bulk
      FROM graph_budget_grants WHERE key = p_key AND at > v_now - v_window;
    -- An empty window favours no one: priorities decide. Once there is spend, bulk short of its share goes first.
    v_bulk_first := v_spent > 0 AND v_bulk < p_bulk_share * v_spent;
    SELECT w.waiter_id, w.cost INTO v_next_waiter, v_next_cost FROM graph_budget_waiters w
      WHERE w.key = p_key
      ORDER BY CASE WHEN w.priority = 2 AND v_bulk_first THEN -1 ELSE w.priority END,
               (SELECT coalesce(sum(g.cost), 0) FROM graph_budget_grants g
                 WHERE g.key = p_key AND g.at > v_now - v_window AND g.definition_id IS NOT DISTINCT FROM w.definition_id) / w.weight,
               w.since, w.waiter_id
      LIMIT 1;
    IF v_spent + v_next_cost > p_limit THEN
      SELECT s.at INTO v_free_at FROM (
        SELECT at, sum(cost) OVER (ORDER BY at, id) AS freed FROM graph_budget_grants WHERE key = p_key AND at > v_now - v_window
      ) s WHERE s.freed >= v_spent + v_next_cost - p_limit ORDER BY s.at LIMIT 1;
      v_wait := greatest(1, ceil(extract(epoch FROM v_free_at + v_window - v_now) * 1000))::integer;
    END IF;
    IF v_wait = 0 AND p_day_limit IS NOT NULL THEN
      SELECT coalesce(sum(cost), 0) INTO v_day FROM graph_budget_hours
        WHERE key = p_key AND hour >= date_trunc('hour', v_now) - interval '23 hours';
      IF v_day + v_next_cost > p_day_limit THEN
        v_wait := greatest(1, ceil(extract(epoch FROM date_trunc('hour', v_now) + interval '1 hour' - v_now) * 1000))::integer;
      END IF;
    END IF;
    IF v_wait = 0 AND v_next_waiter = p_waiter THEN
      INSERT INTO graph_budget_grants (key, at, cost, priority, definition_id, run_id)
        VALUES (p_key, v_now, least(p_cost, p_limit), p_priority, p_definition, p_run);
      INSERT INTO graph_budget_hours (key, hour, cost) VALUES (p_key, date_trunc('hour', v_now), p_cost)
        ON CONFLICT (key, hour) DO UPDATE SET cost = graph_budget_hours.cost + excluded.cost;
      DELETE FROM graph_budget_waiters WHERE waiter_id = p_waiter;
      DELETE FROM graph_budget_grants WHERE key = p_key AND at < v_now - interval '10 minutes';
      DELETE FROM graph_budget_hours WHERE key = p_key AND hour < v_now - interval '2 days';
      RETURN 0;
    END IF;
    -- Someone else goes first: ask again shortly (it may be granted at once, or be gone).
    IF v_next_waiter <> p_waiter THEN
      v_wait := greatest(v_wait, 20);
    END IF;
  END IF;
  UPDATE graph_budget_waiters SET expires_at = v_now + make_interval(secs => least(v_wait, 5000) / 1000.0) + interval '15 seconds'
    WHERE waiter_id = p_waiter;
  RETURN v_wait;
END $$;
--> statement-breakpoint
-- Reconciles with the service's count (RateLimit-Remaining): RU it has seen that no grant here accounts
-- for (another app instance, a process not using the meta-store) are booked until its window resets.
CREATE FUNCTION syncbridge_budget_observe(p_key text, p_limit integer, p_window_ms integer, p_remaining integer, p_reset_ms integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_window interval := make_interval(secs => p_window_ms / 1000.0);
  v_spent bigint;
BEGIN
  INSERT INTO graph_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM graph_budgets WHERE key = p_key FOR UPDATE;
  SELECT coalesce(sum(cost), 0) INTO v_spent FROM graph_budget_grants WHERE key = p_key AND at > v_now - v_window;
  IF p_limit - v_spent > greatest(p_remaining, 0) THEN
    INSERT INTO graph_budget_grants (key, at, cost, priority)
      VALUES (p_key, v_now + make_interval(secs => p_reset_ms / 1000.0) - v_window, p_limit - v_spent - greatest(p_remaining, 0), NULL);
  END IF;
  IF p_remaining <= 0 THEN
    UPDATE graph_budgets SET paused_until = greatest(coalesce(paused_until, v_now), v_now + make_interval(secs => p_reset_ms / 1000.0)), updated_at = v_now
      WHERE key = p_key;
  END IF;
END $$;
