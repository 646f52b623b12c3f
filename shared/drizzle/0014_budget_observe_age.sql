-- RateLimit-Remaining is what the service had left when it answered; the answer reaches the meta-store later
-- (the response is read, then the call is queued behind others). 0010's observe compared it with the grants in
-- the window at the time the call ran: grants that had left the window meanwhile made our count look lower than
-- the service's, and the difference was booked as someone else's spend (budget lost for up to a minute), and a
-- pause ran from the late call instead of from the answer. This one takes the answer's age: our count and the
-- reset are taken as of when the service answered. The five-argument version stays for workers not yet upgraded.
CREATE OR REPLACE FUNCTION syncbridge_budget_observe(
  p_key text, p_limit integer, p_window_ms integer, p_remaining integer, p_reset_ms integer, p_age_ms integer
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz;
  v_answered timestamptz;
  v_window interval := make_interval(secs => p_window_ms / 1000.0);
  v_reset timestamptz;
  v_spent bigint;
BEGIN
  INSERT INTO graph_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM graph_budgets WHERE key = p_key FOR UPDATE;
  v_now := clock_timestamp();
  v_answered := v_now - make_interval(secs => greatest(p_age_ms, 0) / 1000.0);
  v_reset := v_answered + make_interval(secs => p_reset_ms / 1000.0);
  -- An answer from a window that has reset since says nothing about the current one.
  IF v_reset <= v_now THEN
    RETURN;
  END IF;
  -- Our grants up to the answer (later ones cannot be in it); what was booked as others' spend, whenever.
  SELECT coalesce(sum(cost), 0) INTO v_spent FROM graph_budget_grants
    WHERE key = p_key AND at > v_answered - v_window AND (at <= v_answered OR priority IS NULL);
  IF p_limit - v_spent > greatest(p_remaining, 0) THEN
    INSERT INTO graph_budget_grants (key, at, cost, priority)
      VALUES (p_key, v_reset - v_window, p_limit - v_spent - greatest(p_remaining, 0), NULL);
  END IF;
  IF p_remaining <= 0 THEN
    UPDATE graph_budgets SET paused_until = greatest(coalesce(paused_until, v_now), v_reset), updated_at = v_now
      WHERE key = p_key;
  END IF;
END $$;
