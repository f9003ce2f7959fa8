-- Weekly and 4-week candles as continuous aggregates on the daily ones (hierarchical, like candles_1d on
-- candles_1h), with the same candle columns and the statistics of their daily closes (aggregates
-- daily_close_stats and merge_close_stats, 205_analytics_storage.sql). They let the analytics read a few rows
-- per coin for long ranges: a year of daily returns for 250 coins is ~5,000 rows instead of 91,000. Weeks start
-- on Monday 00:00 UTC (time_bucket's default origin), 4-week periods on the same Mondays. Same columns and order
-- as 206_long_candles.postgres.sql.

CREATE MATERIALIZED VIEW candles_1w
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
  time_bucket(INTERVAL '7 days', bucket) AS bucket,
  coin_id,
  vs_currency,
  first(open, bucket) AS open,
  max(high) AS high,
  min(low) AS low,
  last(close, bucket) AS close,
  last(volume, bucket) AS volume,
  last(market_cap, bucket) AS market_cap,
  sum(samples)::bigint AS samples,
  sum(sum_price) AS sum_price,
  sum(sum_price_sq) AS sum_price_sq,
  min(open_time) AS open_time,
  max(close_time) AS close_time,
  (daily_close_stats(bucket, close ORDER BY bucket)).*
FROM candles_1d
GROUP BY 1, 2, 3
WITH NO DATA;

CREATE INDEX candles_1w_series_idx ON candles_1w (coin_id, vs_currency, bucket DESC);

CREATE MATERIALIZED VIEW candles_4w
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
  time_bucket(INTERVAL '28 days', bucket) AS bucket,
  coin_id,
  vs_currency,
  first(open, bucket) AS open,
  max(high) AS high,
  min(low) AS low,
  last(close, bucket) AS close,
  last(volume, bucket) AS volume,
  last(market_cap, bucket) AS market_cap,
  sum(samples)::bigint AS samples,
  sum(sum_price) AS sum_price,
  sum(sum_price_sq) AS sum_price_sq,
  min(open_time) AS open_time,
  max(close_time) AS close_time,
  (merge_close_stats(first_day, first_close, last_day, close, days, log_returns, log_return_mean, log_return_m2,
    log_return_downside, max_close, min_close, max_drawdown, sum_close ORDER BY bucket)).*
FROM candles_1w
GROUP BY 1, 2, 3
WITH NO DATA;

CREATE INDEX candles_4w_series_idx ON candles_4w (coin_id, vs_currency, bucket DESC);

-- Refresh windows: the policies keep the real-time part small, since it is recomputed by every query that
-- reads it (for candles_1d, the day's hourly candles; for candles_1w, the week's daily candles). Each
-- bucket is materialized soon after it closes (end_offset: a few minutes for late observations); its
-- parent's real-time data is included, so the order of the refreshes does not matter.
SELECT remove_continuous_aggregate_policy('candles_1h');
SELECT add_continuous_aggregate_policy('candles_1h',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '5 minutes', schedule_interval => INTERVAL '5 minutes');
SELECT remove_continuous_aggregate_policy('candles_1d');
SELECT add_continuous_aggregate_policy('candles_1d',
  start_offset => INTERVAL '7 days', end_offset => INTERVAL '10 minutes', schedule_interval => INTERVAL '10 minutes');
SELECT add_continuous_aggregate_policy('candles_1w',
  start_offset => INTERVAL '21 days', end_offset => INTERVAL '10 minutes', schedule_interval => INTERVAL '30 minutes');
SELECT add_continuous_aggregate_policy('candles_4w',
  start_offset => INTERVAL '84 days', end_offset => INTERVAL '10 minutes', schedule_interval => INTERVAL '1 hour');
