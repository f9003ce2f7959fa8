-- migrate:no-transaction
-- Daily, weekly and 4-week candles at the start of a backfilled history. The collector's refresh after a
-- backfill used to keep every level's window a bucket behind the raw-retention horizon, which only the hourly
-- level needs (it alone reads the raw rows): a history starting near the horizon kept its hourly candles but
-- lost up to two days of daily, two weeks of weekly and eight weeks of 4-week candles. A region never
-- refreshed stays invalidated, so these refreshes, from the beginning, recompute just such regions, from the
-- level below (kept for ever): cheap where there is nothing to repair.
DO $$
BEGIN
  COMMIT;
  CALL refresh_continuous_aggregate('candles_1d', NULL, now() - INTERVAL '10 minutes');
  COMMIT;
  CALL refresh_continuous_aggregate('candles_1w', NULL, now() - INTERVAL '10 minutes');
  COMMIT;
  CALL refresh_continuous_aggregate('candles_4w', NULL, now() - INTERVAL '10 minutes');
END;
$$;
