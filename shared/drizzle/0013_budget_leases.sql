-- Leases: while an app's window is far from spent, a process may take more than one request's RU in one
-- decision and spend it locally for a second (shared-budget.ts), instead of one decision per request. An
-- unthrottled 1,000,000-row load made ~65 decisions a second, each summing the window's grants: most of
-- PostgreSQL's CPU. A lease is granted only under the same condition as an at-once grant (the window less
-- than half spent with it and every waiting request), so near the limit every request is still decided,
-- in order, by syncbridge_budget_acquire. What a lease did not use is given back by syncbridge_budget_refund.
CREATE OR REPLACE FUNCTION syncbridge_budget_lease(
  p_key text, p_limit integer, p_day_limit integer, p_window_ms integer, p_cost integer, p_lease integer,
  p_waiter uuid, p_priority smallint, p_definition uuid, p_run uuid, p_weight real,
  p_bulk_share real, p_holder text
) RETURNS TABLE (wait integer, granted integer, grant_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz;
  v_window interval := make_interval(secs => p_window_ms / 1000.0);
  v_paused timestamptz;
  v_spent bigint;
  v_day bigint := 0;
  v_others bigint;
  v_id bigint;
  v_wait integer;
BEGIN
  IF p_lease > p_cost THEN
    INSERT INTO graph_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
    SELECT paused_until INTO v_paused FROM graph_budgets WHERE key = p_key FOR UPDATE;
    v_now := clock_timestamp();
    IF v_paused IS NULL OR v_paused <= v_now THEN
      SELECT coalesce(sum(cost), 0) INTO v_spent FROM graph_budget_grants WHERE key = p_key AND at > v_now - v_window;
      IF p_day_limit IS NOT NULL THEN
        SELECT coalesce(sum(cost), 0) INTO v_day FROM graph_budget_hours
          WHERE key = p_key AND hour >= date_trunc('hour', v_now) - interval '23 hours';
      END IF;
      SELECT coalesce(sum(cost), 0) INTO v_others FROM graph_budget_waiters
        WHERE key = p_key AND waiter_id <> p_waiter AND expires_at >= v_now;
      IF 2 * (v_spent + p_lease + v_others) <= p_limit AND (p_day_limit IS NULL OR v_day + p_lease + v_others <= p_day_limit) THEN
        INSERT INTO graph_budget_grants (key, at, cost, priority, definition_id, run_id)
          VALUES (p_key, v_now, p_lease, p_priority, p_definition, p_run) RETURNING id INTO v_id;
        INSERT INTO graph_budget_hours (key, hour, cost) VALUES (p_key, date_trunc('hour', v_now), p_lease)
          ON CONFLICT (key, hour) DO UPDATE SET cost = graph_budget_hours.cost + excluded.cost;
        DELETE FROM graph_budget_waiters WHERE waiter_id = p_waiter;
        DELETE FROM graph_budget_grants WHERE key = p_key AND at < v_now - interval '10 minutes';
        DELETE FROM graph_budget_hours WHERE key = p_key AND hour < v_now - interval '2 days';
        RETURN QUERY SELECT 0, p_lease, v_id;
        RETURN;
      END IF;
    END IF;
  END IF;
  v_wait := syncbridge_budget_acquire(p_key, p_limit, p_day_limit, p_window_ms, p_cost, p_waiter, p_priority,
                                      p_definition, p_run, p_weight, p_bulk_share, p_holder);
  RETURN QUERY SELECT v_wait, CASE WHEN v_wait = 0 THEN p_cost ELSE 0 END, NULL::bigint;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION syncbridge_budget_refund(p_grant_id bigint, p_amount integer)
RETURNS void
LANGUAGE sql AS $$
  WITH g AS (
    UPDATE graph_budget_grants SET cost = greatest(0, cost - p_amount) WHERE id = p_grant_id AND p_amount > 0 RETURNING key, at
  )
  UPDATE graph_budget_hours h SET cost = greatest(0, h.cost - p_amount)
    FROM g WHERE h.key = g.key AND h.hour = date_trunc('hour', g.at);
$$;
