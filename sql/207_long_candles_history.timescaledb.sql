-- migrate:no-transaction
-- Weekly and 4-week candles of the history a database already has (daily candles from before 206), in one
-- statement: TimescaleDB refreshes only outside a transaction and only whole buckets (the current ones stay
-- real-time). The sources are candles_1d and candles_1w, which keep their history whatever the raw retention.
DO $$
BEGIN
  COMMIT;
  CALL refresh_continuous_aggregate('candles_1w', NULL, now() - INTERVAL '10 minutes');
  COMMIT;
  CALL refresh_continuous_aggregate('candles_4w', NULL, now() - INTERVAL '10 minutes');
END;
$$;
