-- What the analytics surface (sql/analytics/) needs that holds data or that continuous aggregates depend on:
-- the stablecoin list, the statistics of daily closes (aggregates the weekly and 4-week candles use).
-- The views and functions themselves moved to sql/analytics/, which the migration runner replaces as a whole
-- whenever it changes. Databases migrated before that have them from 201-204: dropped here (the runner
-- keeps the records of 201-204, whose files are gone). Written to run on both kinds of database.

DROP VIEW IF EXISTS
  price_changes, price_tiers, latest_market, stablecoin_candidates, volatility, daily_trend, dominance_history,
  global_market_history;
DROP FUNCTION IF EXISTS
  price_at(text, text, timestamptz),
  price_before(text, text, timestamptz, interval),
  record_detected_stablecoins(),
  window_changes(text, interval),
  top_movers(text, interval, int),
  market_sentiment(text, interval),
  altcoin_season_index(text, timestamptz),
  global_snapshots_between(timestamptz, timestamptz, interval),
  dominance_between(timestamptz, timestamptz, interval),
  global_market_between(text, timestamptz, timestamptz, interval),
  roi(text, text, timestamptz, timestamptz),
  roi_table(text, timestamptz, timestamptz),
  investment_value(text, double precision, timestamptz, timestamptz),
  dca_result(text, text, double precision, interval, timestamptz, timestamptz),
  daily_log_returns(text, timestamptz, timestamptz, text[]),
  volatility_between(text, timestamptz, timestamptz),
  rolling_volatility(text, text[], int, timestamptz, timestamptz),
  risk_metrics(text, timestamptz, timestamptz),
  drawdown_series(text, text, timestamptz, timestamptz),
  correlation_matrix(text, text[], timestamptz, timestamptz),
  risk_return(text, timestamptz, timestamptz),
  analytics_check(boolean, text);

-- No JIT compilation in this database: the analytics are short index-driven queries, and with TimescaleDB
-- the planner's cost estimates for the real-time candles (union of materialized and raw chunks) exceed
-- jit_above_cost, so a 2 ms query spent ~1 s compiling. Applies to new sessions (the database owner
-- runs the migrations, so this needs no superuser).
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END;
$$;

-- Series indexes on the candles. Plain PostgreSQL: the primary key (coin_id, vs_currency, bucket) serves
-- one series' history. TimescaleDB indexes the continuous aggregates' materialization by (coin_id, bucket)
-- and (vs_currency, bucket) only: a probe for one series then reads all its currencies' buckets (or all
-- coins'), ~10x slower; this adds the composite index there.
DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'candles_1h'::regclass) = 'v' THEN
    CREATE INDEX IF NOT EXISTS candles_1h_series_idx ON candles_1h (coin_id, vs_currency, bucket DESC);
    CREATE INDEX IF NOT EXISTS candles_1d_series_idx ON candles_1d (coin_id, vs_currency, bucket DESC);
  END IF;
END;
$$;

-- Stablecoins: a maintained list plus behaviour-based detection (stablecoin_candidates).
CREATE TABLE IF NOT EXISTS stablecoins (
  coin_id text PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('list', 'detected')),
  added_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE stablecoins IS
  'Coins excluded from movers, sentiment and the altcoin season index: source ''list'' = the maintained list of fiat-pegged coins (CoinGecko ids), ''detected'' = recorded from stablecoin_candidates by record_detected_stablecoins().';
INSERT INTO stablecoins (coin_id, source)
SELECT unnest(ARRAY[
  'tether', 'usd-coin', 'binance-usd', 'dai', 'terrausd', 'frax', 'true-usd', 'paxos-standard',
  'liquity-usd', 'fei-usd', 'neutrino', 'husd', 'alchemix-usd', 'gemini-dollar', 'origin-dollar', 'usdx',
  'nusd', 'stasis-eurs', 'celo-dollar', 'musd', 'usdd', 'first-digital-usd', 'paypal-usd', 'ethena-usde',
  'usds', 'tether-eurt', 'euro-coin', 'magic-internet-money', 'dola-usd', 'crvusd', 'gho', 'usdk', 'vai',
  'mountain-protocol-usdm', 'usual-usd', 'ripple-usd', 'global-dollar', 'binance-peg-busd', 'susds',
  'bridged-usdc-polygon-pos-bridge', 'compound-usd-coin', 'compound-usdt', 'cdai'
]), 'list'
ON CONFLICT (coin_id) DO NOTHING;

-- Statistics of a series of daily closes, for the weekly and 4-week candles: exact pieces that a query combines
-- into the statistics of any range (sql/analytics/10_building_blocks.sql, daily_return_windows). A daily log return is
-- ln(close_d / close_{d-1}) for consecutive calendar days with both closes > 0; its mean and sum of squared
-- deviations are accumulated with Welford's method (combinable without cancellation), the downside sum
-- is sum(min(r, 0)^2), and the drawdown of day d is 1 - close_d / (highest close so far).
CREATE TYPE daily_close_stats AS (
  days integer,
  log_returns integer,
  log_return_mean double precision,
  log_return_m2 double precision,
  log_return_downside double precision,
  first_day timestamptz,
  first_close double precision,
  last_day timestamptz,
  max_close double precision,
  min_close double precision,
  max_drawdown double precision,
  sum_close double precision
);
COMMENT ON TYPE daily_close_stats IS
  'Statistics of daily closes (aggregate daily_close_stats): days, log_returns (count of consecutive-day log returns with both closes > 0), their log_return_mean, log_return_m2 (sum of squared deviations from the mean) and log_return_downside (sum of min(r, 0)^2), the first and last day with the first close, max/min/sum of the closes, and max_drawdown = max over days of 1 - close / highest close so far (NULL while that is 0).';

-- State: {days, returns, mean, m2, downside, first day (epoch), first close, last day (epoch), last close,
-- max close, min close, max drawdown (NULL until defined), sum of closes}; a float8[] is the cheapest
-- state plpgsql can update (this runs for every daily candle a weekly candle is made of).
-- Refreshes of continuous aggregates run with search_path = pg_catalog: only built-ins here.
CREATE FUNCTION internal.daily_close_stats_step(s double precision[], p_day timestamptz, p_close double precision)
RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  day double precision := extract(epoch FROM p_day);
  r double precision;
  n double precision;
  mean double precision;
  peak double precision;
BEGIN
  IF s IS NULL THEN
    RETURN ARRAY[1, 0, 0, 0, 0, day, p_close, day, p_close, p_close, p_close,
      CASE WHEN p_close > 0 THEN 0 END, p_close];
  END IF;
  peak := greatest(s[10], p_close);
  -- One array per call (fewer plpgsql statements is faster than updating elements).
  IF s[8] = day - 86400 AND p_close > 0 AND s[9] > 0 THEN
    r := ln(p_close / s[9]);
    n := s[2] + 1;
    mean := s[3] + (r - s[3]) / n;
    RETURN ARRAY[s[1] + 1, n, mean, s[4] + (r - s[3]) * (r - mean), s[5] + least(r, 0) ^ 2, s[6], s[7], day,
      p_close, peak, least(s[11], p_close), greatest(s[12], 1 - p_close / NULLIF(peak, 0)), s[13] + p_close];
  END IF;
  RETURN ARRAY[s[1] + 1, s[2], s[3], s[4], s[5], s[6], s[7], day, p_close, peak, least(s[11], p_close),
    greatest(s[12], 1 - p_close / NULLIF(peak, 0)), s[13] + p_close];
END;
$$;

CREATE FUNCTION internal.daily_close_stats_final(s double precision[])
RETURNS public.daily_close_stats
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ROW(
    s[1]::integer, s[2]::integer, s[3], s[4], s[5], pg_catalog.to_timestamp(s[6]), s[7],
    pg_catalog.to_timestamp(s[8]), s[10], s[11], s[12], s[13]
  )::public.daily_close_stats
$$;

CREATE AGGREGATE daily_close_stats(timestamptz, double precision) (
  SFUNC = internal.daily_close_stats_step,
  STYPE = double precision[],
  FINALFUNC = internal.daily_close_stats_final
);
COMMENT ON AGGREGATE daily_close_stats(timestamptz, double precision) IS
  'daily_close_stats(day, close ORDER BY day): statistics of a series of daily closes (see the type daily_close_stats). Needs ORDER BY day.';

-- The same statistics merged from consecutive pieces (the weeks of a 4-week candle), in order: the return that
-- links two pieces (the last day of one is the day before the first day of the next) is added, the pieces'
-- means and sums of squared deviations are merged exactly (Chan et al.), and a piece's drawdown also counts
-- against the highest close before it.
CREATE FUNCTION internal.merge_close_stats_step(
  s double precision[], p_first_day timestamptz, p_first_close double precision, p_last_day timestamptz,
  p_last_close double precision, p_days integer, p_n integer, p_mean double precision, p_m2 double precision,
  p_downside double precision, p_max double precision, p_min double precision, p_max_drawdown double precision,
  p_sum double precision
)
RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  first_day double precision := extract(epoch FROM p_first_day);
  last_day double precision := extract(epoch FROM p_last_day);
  n double precision;
  mean double precision;
  m2 double precision;
  downside double precision;
  r double precision;
  delta double precision;
  total double precision;
BEGIN
  IF s IS NULL THEN
    RETURN ARRAY[p_days, p_n, p_mean, p_m2, p_downside, first_day, p_first_close, last_day, p_last_close, p_max,
      p_min, p_max_drawdown, p_sum];
  END IF;
  n := s[2];
  mean := s[3];
  m2 := s[4];
  downside := s[5];
  IF s[8] = first_day - 86400 AND p_first_close > 0 AND s[9] > 0 THEN
    r := ln(p_first_close / s[9]);
    n := n + 1;
    delta := r - mean;
    mean := mean + delta / n;
    m2 := m2 + delta * (r - mean);
    downside := downside + least(r, 0) ^ 2;
  END IF;
  IF p_n > 0 THEN
    total := n + p_n;
    delta := p_mean - mean;
    mean := mean + delta * p_n / total;
    m2 := m2 + p_m2 + delta * delta * n * p_n / total;
    n := total;
  END IF;
  RETURN ARRAY[s[1] + p_days, n, mean, m2, downside + p_downside, s[6], s[7], last_day, p_last_close,
    greatest(s[10], p_max), least(s[11], p_min), greatest(s[12], p_max_drawdown, 1 - p_min / NULLIF(s[10], 0)),
    s[13] + p_sum];
END;
$$;

CREATE AGGREGATE merge_close_stats(
  timestamptz, double precision, timestamptz, double precision, integer, integer, double precision,
  double precision, double precision, double precision, double precision, double precision, double precision
) (
  SFUNC = internal.merge_close_stats_step,
  STYPE = double precision[],
  FINALFUNC = internal.daily_close_stats_final
);
COMMENT ON AGGREGATE merge_close_stats(timestamptz, double precision, timestamptz, double precision, integer, integer, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS
  'merge_close_stats(first_day, first_close, last_day, last_close, days, log_returns, log_return_mean, log_return_m2, log_return_downside, max_close, min_close, max_drawdown, sum_close ORDER BY first_day): the daily_close_stats of consecutive pieces (such as weekly candles) merged into those of their union. Needs ORDER BY first_day.';
