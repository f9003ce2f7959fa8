-- Weekly and 4-week candles as tables refreshed with the others: same columns and order as the continuous
-- aggregates of 206_long_candles.timescaledb.sql (see there for what they are for). Weeks start on Monday 00:00
-- UTC, like time_bucket's, with the daily candles' origin; 4-week periods on the same Mondays.

CREATE TABLE candles_1w (
  LIKE candles_1d INCLUDING ALL,
  days integer NOT NULL,
  log_returns integer NOT NULL,
  log_return_mean double precision NOT NULL,
  log_return_m2 double precision NOT NULL,
  log_return_downside double precision NOT NULL,
  first_day timestamptz NOT NULL,
  first_close double precision NOT NULL,
  last_day timestamptz NOT NULL,
  max_close double precision NOT NULL,
  min_close double precision NOT NULL,
  max_drawdown double precision,
  sum_close double precision NOT NULL
);

CREATE TABLE candles_4w (LIKE candles_1w INCLUDING ALL);

-- The weeks and 4-week periods overlapping [p_from, p_to], from the daily candles and the weeks.
CREATE FUNCTION internal.refresh_long_candles(p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  origin constant timestamptz := '2000-01-03 00:00:00+00';
  w_from timestamptz := date_bin(INTERVAL '7 days', p_from, origin);
  w_to timestamptz := date_bin(INTERVAL '7 days', p_to, origin) + INTERVAL '7 days';
  m_from timestamptz := date_bin(INTERVAL '28 days', p_from, origin);
  m_to timestamptz := date_bin(INTERVAL '28 days', p_to, origin) + INTERVAL '28 days';
BEGIN
  DELETE FROM candles_1w
  WHERE bucket >= w_from AND bucket < w_to AND (p_coins IS NULL OR coin_id = ANY (p_coins));
  INSERT INTO candles_1w
  SELECT
    date_bin(INTERVAL '7 days', bucket, origin), coin_id, vs_currency,
    (array_agg(open ORDER BY bucket))[1], max(high), min(low), (array_agg(close ORDER BY bucket DESC))[1],
    (array_agg(volume ORDER BY bucket DESC))[1], (array_agg(market_cap ORDER BY bucket DESC))[1],
    sum(samples), sum(sum_price), sum(sum_price_sq), min(open_time), max(close_time),
    (daily_close_stats(bucket, close ORDER BY bucket)).*
  FROM candles_1d
  WHERE bucket >= w_from AND bucket < w_to AND (p_coins IS NULL OR coin_id = ANY (p_coins))
  GROUP BY 1, 2, 3;

  DELETE FROM candles_4w
  WHERE bucket >= m_from AND bucket < m_to AND (p_coins IS NULL OR coin_id = ANY (p_coins));
  INSERT INTO candles_4w
  SELECT
    date_bin(INTERVAL '28 days', bucket, origin), coin_id, vs_currency,
    (array_agg(open ORDER BY bucket))[1], max(high), min(low), (array_agg(close ORDER BY bucket DESC))[1],
    (array_agg(volume ORDER BY bucket DESC))[1], (array_agg(market_cap ORDER BY bucket DESC))[1],
    sum(samples), sum(sum_price), sum(sum_price_sq), min(open_time), max(close_time),
    (merge_close_stats(first_day, first_close, last_day, close, days, log_returns, log_return_mean, log_return_m2,
      log_return_downside, max_close, min_close, max_drawdown, sum_close ORDER BY bucket)).*
  FROM candles_1w
  WHERE bucket >= m_from AND bucket < m_to AND (p_coins IS NULL OR coin_id = ANY (p_coins))
  GROUP BY 1, 2, 3;
END;
$$;

-- internal.refresh_candles of 003_candles.postgres.sql keeps refreshing the hourly and daily candles (it takes
-- the refresh lock, held to the end of the transaction); the new one adds the weeks and 4-week periods.
ALTER FUNCTION internal.refresh_candles(timestamptz, timestamptz, text[]) RENAME TO refresh_candles_1h_1d;

-- It also summarizes the BRIN index of the raw rows over the pages written since: BRIN leaves new pages
-- unsummarized until a VACUUM (which autovacuum starts only after 20% of the table is new), and a time range
-- over unsummarized pages reads them all, so without this the recent rows the analytics read by time would be
-- found by scanning everything written since the last VACUUM.
CREATE FUNCTION internal.refresh_candles(p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM internal.refresh_candles_1h_1d(p_from, p_to, p_coins);
  PERFORM internal.refresh_long_candles(p_from, p_to, p_coins);
  PERFORM brin_summarize_new_values('market_snapshots_time_brin');
END;
$$;
COMMENT ON FUNCTION internal.refresh_candles(timestamptz, timestamptz, text[]) IS
  'Plain-PostgreSQL mode only: re-aggregate candles_1h, candles_1d, candles_1w and candles_4w for the buckets overlapping [p_from, p_to], for p_coins (NULL = all).';
