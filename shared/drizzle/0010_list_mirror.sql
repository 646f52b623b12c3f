CREATE TABLE "list_item_mirror" (
	"target_id" uuid NOT NULL,
	"item_id" text NOT NULL,
	"source_key" text NOT NULL,
	"etag" text,
	"fields" jsonb NOT NULL,
	CONSTRAINT "list_item_mirror_target_id_item_id_pk" PRIMARY KEY("target_id","item_id")
);
--> statement-breakpoint
CREATE TABLE "list_mirror_state" (
	"target_id" uuid PRIMARY KEY NOT NULL,
	"list_id" text NOT NULL,
	"fields_key" text NOT NULL,
	"delta_link" text,
	"synced_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "list_item_mirror" ADD CONSTRAINT "list_item_mirror_target_id_sync_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."sync_targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "list_mirror_state" ADD CONSTRAINT "list_mirror_state_target_id_sync_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."sync_targets"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
-- 0009's budget functions read the clock before taking the budget's lock (a call that waited for the lock
-- booked its grant back-dated by the wait), and the scheduler summed each waiter's definition spend over the
-- whole window on every call, even when nothing had to be chosen (PostgreSQL was most of an unthrottled
-- 1,000,000-row load's CPU). Now: the clock read once the lock is held; a request granted at once while the
-- window is less than half spent with it and every waiting one; per-definition spend summed once per decision.
CREATE OR REPLACE FUNCTION syncbridge_budget_acquire(
  p_key text, p_limit integer, p_day_limit integer, p_window_ms integer, p_cost integer,
  p_waiter uuid, p_priority smallint, p_definition uuid, p_run uuid, p_weight real,
  p_bulk_share real, p_holder text
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz;
  v_window interval := make_interval(secs => p_window_ms / 1000.0);
  v_need integer := least(p_cost, p_limit);
  v_paused timestamptz;
  v_spent bigint;
  v_bulk bigint;
  v_day bigint := 0;
  v_others bigint;
  v_bulk_first boolean;
  v_next_waiter uuid;
  v_next_cost integer;
  v_free_at timestamptz;
  v_wait integer := 0;
  v_grant boolean := false;
BEGIN
  INSERT INTO graph_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  SELECT paused_until INTO v_paused FROM graph_budgets WHERE key = p_key FOR UPDATE;
  -- Read after the lock: a call that waited for it must not book its grant at the time it started waiting.
  v_now := clock_timestamp();
  DELETE FROM graph_budget_waiters WHERE key = p_key AND expires_at < v_now;
  IF v_paused IS NOT NULL AND v_paused > v_now THEN
    v_wait := ceil(extract(epoch FROM v_paused - v_now) * 1000)::integer;
  ELSE
    SELECT coalesce(sum(cost), 0), coalesce(sum(cost) FILTER (WHERE priority = 2), 0) INTO v_spent, v_bulk
      FROM graph_budget_grants WHERE key = p_key AND at > v_now - v_window;
    IF p_day_limit IS NOT NULL THEN
      SELECT coalesce(sum(cost), 0) INTO v_day FROM graph_budget_hours
        WHERE key = p_key AND hour >= date_trunc('hour', v_now) - interval '23 hours';
    END IF;
    SELECT coalesce(sum(cost), 0) INTO v_others FROM graph_budget_waiters WHERE key = p_key AND waiter_id <> p_waiter;
    IF 2 * (v_spent + v_need + v_others) <= p_limit AND (p_day_limit IS NULL OR v_day + v_need + v_others <= p_day_limit) THEN
      -- Nothing to choose between: this request and every waiting one fit with room to spare (a budget used to
      -- less than half; unthrottled loads stay here). Nearer the limit the order below decides, weights included.
      v_grant := true;
    ELSE
      INSERT INTO graph_budget_waiters (waiter_id, key, priority, definition_id, run_id, weight, cost, holder, since, expires_at)
        VALUES (p_waiter, p_key, p_priority, p_definition, p_run, p_weight, v_need, p_holder, v_now, v_now + interval '15 seconds')
        ON CONFLICT (waiter_id) DO UPDATE SET expires_at = excluded.expires_at;
      -- An empty window favours no one: priorities decide. Once there is spend, bulk short of its share goes first.
      v_bulk_first := v_spent > 0 AND v_bulk < p_bulk_share * v_spent;
      WITH spent AS (
        SELECT definition_id, sum(cost) AS ru FROM graph_budget_grants
        WHERE key = p_key AND at > v_now - v_window GROUP BY definition_id
      )
      SELECT w.waiter_id, w.cost INTO v_next_waiter, v_next_cost
        FROM graph_budget_waiters w LEFT JOIN spent s ON s.definition_id IS NOT DISTINCT FROM w.definition_id
        WHERE w.key = p_key
        ORDER BY CASE WHEN w.priority = 2 AND v_bulk_first THEN -1 ELSE w.priority END,
                 coalesce(s.ru, 0) / w.weight, w.since, w.waiter_id
        LIMIT 1;
      IF v_spent + v_next_cost > p_limit THEN
        SELECT s.at INTO v_free_at FROM (
          SELECT at, sum(cost) OVER (ORDER BY at, id) AS freed FROM graph_budget_grants WHERE key = p_key AND at > v_now - v_window
        ) s WHERE s.freed >= v_spent + v_next_cost - p_limit ORDER BY s.at LIMIT 1;
        v_wait := greatest(1, ceil(extract(epoch FROM v_free_at + v_window - v_now) * 1000))::integer;
      END IF;
      IF v_wait = 0 AND p_day_limit IS NOT NULL AND v_day + v_next_cost > p_day_limit THEN
        v_wait := greatest(1, ceil(extract(epoch FROM date_trunc('hour', v_now) + interval '1 hour' - v_now) * 1000))::integer;
      END IF;
      IF v_wait = 0 AND v_next_waiter = p_waiter THEN
        v_grant := true;
      ELSIF v_next_waiter <> p_waiter THEN
        -- Someone else goes first: ask again shortly (it may be granted at once, or be gone).
        v_wait := greatest(v_wait, 20);
      END IF;
    END IF;
  END IF;
  IF v_grant THEN
    INSERT INTO graph_budget_grants (key, at, cost, priority, definition_id, run_id)
      VALUES (p_key, v_now, v_need, p_priority, p_definition, p_run);
    INSERT INTO graph_budget_hours (key, hour, cost) VALUES (p_key, date_trunc('hour', v_now), p_cost)
      ON CONFLICT (key, hour) DO UPDATE SET cost = graph_budget_hours.cost + excluded.cost;
    DELETE FROM graph_budget_waiters WHERE waiter_id = p_waiter;
    DELETE FROM graph_budget_grants WHERE key = p_key AND at < v_now - interval '10 minutes';
    DELETE FROM graph_budget_hours WHERE key = p_key AND hour < v_now - interval '2 days';
    RETURN 0;
  END IF;
  INSERT INTO graph_budget_waiters (waiter_id, key, priority, definition_id, run_id, weight, cost, holder, since, expires_at)
    VALUES (p_waiter, p_key, p_priority, p_definition, p_run, p_weight, v_need, p_holder, v_now,
            v_now + make_interval(secs => least(v_wait, 5000) / 1000.0) + interval '15 seconds')
    ON CONFLICT (waiter_id) DO UPDATE SET expires_at = excluded.expires_at;
  RETURN v_wait;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION syncbridge_budget_observe(p_key text, p_limit integer, p_window_ms integer, p_remaining integer, p_reset_ms integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz;
  v_window interval := make_interval(secs => p_window_ms / 1000.0);
  v_spent bigint;
BEGIN
  INSERT INTO graph_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM graph_budgets WHERE key = p_key FOR UPDATE;
  v_now := clock_timestamp();
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
