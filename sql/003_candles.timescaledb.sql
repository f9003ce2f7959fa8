-- Candles as continuous aggregates: hourly from the raw snapshots, daily from the hourly (hierarchical,
-- exact because every column rolls up: first/last/max/min/sum). The columns and their order are the
-- same as the plain-PostgreSQL tables in 003_candles.postgres.sql.
--
-- volume and market_cap are the last observation of the bucket: CoinGecko's total_volume is already a
-- rolling 24h figure, so summing it would be meaningless.
-- samples, sum_price and sum_price_sq let any level compute the mean and sample variance of prices
-- exactly: var = (sum_price_sq - sum_price^2 / samples) / (samples - 1).
-- Real-time aggregation is on (materialized_only = false): the newest, not yet materialized buckets
-- are computed from the raw rows at query time, so candles are fresh after every write.
-- Created WITH NO DATA: the first refresh happens outside any transaction (policies, or the collector).

CREATE MATERIALIZED VIEW candles_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
  time_bucket(INTERVAL '1 hour', time) AS bucket,
  coin_id,
  vs_currency,
  first(price, time) AS open,
  max(price) AS high,
  min(price) AS low,
  last(price, time) AS close,
  last(total_volume, time) AS volume,
  last(market_cap, time) AS market_cap,
  count(*) AS samples,
  sum(price) AS sum_price,
  sum(price * price) AS sum_price_sq,
  min(time) AS open_time,
  max(time) AS close_time
FROM market_snapshots
GROUP BY 1, 2, 3
WITH NO DATA;

CREATE MATERIALIZED VIEW candles_1d
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
  time_bucket(INTERVAL '1 day', bucket) AS bucket,
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
  max(close_time) AS close_time
FROM candles_1h
GROUP BY 1, 2, 3
WITH NO DATA;

-- Refresh windows: the hot bucket (newer than end_offset) is left to real-time aggregation; writes
-- older than start_offset (backfill, gap repair) are refreshed explicitly by the collector.
SELECT add_continuous_aggregate_policy('candles_1h',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '10 minutes');
SELECT add_continuous_aggregate_policy('candles_1d',
  start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
