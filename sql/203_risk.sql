-- Analytics, part 3: volatility, risk ratios, drawdowns, correlation.
-- A daily log return exists for day d when the daily candles of d and of the day before both exist
-- (consecutive calendar days: a gap gives no return rather than a multi-day one) and both closes are > 0:
-- ln(close_d / close_{d-1}). "Daily candles in [from, to]" = the candles of the UTC days overlapping
-- the range (bucket > from - 24 h and bucket <= to), so "last 30 days" has 31 closes and 30 returns.
-- Annualization: x sqrt(365) for daily returns (crypto trades every day), x sqrt(24 * 365) for hourly.

CREATE FUNCTION daily_log_returns(
  p_vs text, p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL
)
RETURNS TABLE (coin_id text, bucket timestamptz, close double precision, log_return double precision)
LANGUAGE sql STABLE AS $$
  SELECT
    x.coin_id, x.bucket, x.close,
    CASE
      WHEN x.previous_bucket = x.bucket - INTERVAL '24 hours' AND x.close > 0 AND x.previous_close > 0
      THEN ln(x.close / x.previous_close)
    END
  FROM (
    SELECT
      d.coin_id, d.bucket, d.close,
      lag(d.bucket) OVER w AS previous_bucket,
      lag(d.close) OVER w AS previous_close
    FROM candles_1d d
    WHERE d.vs_currency = p_vs AND d.bucket > p_from - INTERVAL '24 hours' AND d.bucket <= p_to
      AND (p_coins IS NULL OR d.coin_id = ANY (p_coins))
    WINDOW w AS (PARTITION BY d.coin_id ORDER BY d.bucket)
  ) x
$$;
COMMENT ON FUNCTION daily_log_returns(text, timestamptz, timestamptz, text[]) IS
  'Daily candles in [p_from, p_to] (the UTC days overlapping the range) of p_coins (NULL = all) with log_return = ln(close / previous day''s close); NULL on the first day, after a missing day, or when a close is 0.';

CREATE VIEW volatility AS
WITH newest AS (
  -- Newest buckets, looked for in the recent past first (see latest_market).
  SELECT
    coalesce(
      (SELECT max(bucket) FROM candles_1d WHERE bucket > now() - INTERVAL '168 hours'),
      (SELECT max(bucket) FROM candles_1d)
    ) AS day,
    coalesce(
      (SELECT max(bucket) FROM candles_1h WHERE bucket > now() - INTERVAL '48 hours'),
      (SELECT max(bucket) FROM candles_1h)
    ) AS hour
),
daily AS (
  SELECT
    x.coin_id, x.vs_currency, x.bucket, x.day,
    CASE
      WHEN x.previous_bucket = x.bucket - INTERVAL '24 hours' AND x.close > 0 AND x.previous_close > 0
      THEN ln(x.close / x.previous_close)
    END AS r
  FROM (
    SELECT
      d.coin_id, d.vs_currency, d.bucket, d.close, (SELECT day FROM newest) AS day,
      lag(d.bucket) OVER w AS previous_bucket,
      lag(d.close) OVER w AS previous_close
    FROM candles_1d d
    -- A scalar bound (not a join with `newest`): an index condition, and chunk exclusion in TimescaleDB.
    WHERE d.bucket >= (SELECT day FROM newest) - INTERVAL '2160 hours'
    WINDOW w AS (PARTITION BY d.coin_id, d.vs_currency ORDER BY d.bucket)
  ) x
),
daily_vol AS (
  SELECT
    coin_id, vs_currency,
    stddev_samp(r) FILTER (WHERE bucket > day - INTERVAL '168 hours') * sqrt(365) AS vol_7d,
    stddev_samp(r) FILTER (WHERE bucket > day - INTERVAL '720 hours') * sqrt(365) AS vol_30d,
    stddev_samp(r) * sqrt(365) AS vol_90d
  FROM daily
  GROUP BY coin_id, vs_currency
),
hourly AS (
  SELECT
    x.coin_id, x.vs_currency, x.bucket, x.hour,
    CASE
      WHEN x.previous_bucket = x.bucket - INTERVAL '1 hour' AND x.close > 0 AND x.previous_close > 0
      THEN ln(x.close / x.previous_close)
    END AS r
  FROM (
    SELECT
      h.coin_id, h.vs_currency, h.bucket, h.close, (SELECT hour FROM newest) AS hour,
      lag(h.bucket) OVER w AS previous_bucket,
      lag(h.close) OVER w AS previous_close
    FROM candles_1h h
    WHERE h.bucket >= (SELECT hour FROM newest) - INTERVAL '168 hours'
    WINDOW w AS (PARTITION BY h.coin_id, h.vs_currency ORDER BY h.bucket)
  ) x
),
hourly_vol AS (
  SELECT
    coin_id, vs_currency,
    stddev_samp(r) FILTER (WHERE bucket > hour - INTERVAL '24 hours') * sqrt(24 * 365) AS vol_intraday_24h,
    stddev_samp(r) * sqrt(24 * 365) AS vol_intraday_7d
  FROM hourly
  GROUP BY coin_id, vs_currency
)
SELECT
  d.coin_id,
  d.vs_currency,
  d.vol_7d,
  d.vol_30d,
  d.vol_90d,
  h.vol_intraday_24h,
  h.vol_intraday_7d,
  CASE WHEN d.vol_30d IS NOT NULL
    THEN (rank() OVER (PARTITION BY d.vs_currency ORDER BY d.vol_30d DESC NULLS LAST))::int
  END AS vol_rank_30d
FROM daily_vol d
LEFT JOIN hourly_vol h USING (coin_id, vs_currency);
COMMENT ON VIEW volatility IS
  'Annualized volatility per (coin_id, vs_currency) with daily candles in the 90 days up to the newest daily candle D: vol_Nd = sample standard deviation of the daily log returns of the days in (D - N days, D] x sqrt(365) for N = 7, 30, 90; vol_intraday_24h / _7d = the same over hourly log returns of the hours in (H - 24 h, H] / (H - 7 d, H], H = newest hourly candle, x sqrt(24 * 365); vol_rank_30d = RANK() by vol_30d descending per currency. NULL with fewer than 2 returns.';

CREATE FUNCTION volatility_between(p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (coin_id text, volatility double precision, observations int)
LANGUAGE sql STABLE AS $$
  SELECT r.coin_id, stddev_samp(r.log_return) * sqrt(365), count(r.log_return)::int
  FROM daily_log_returns(p_vs, p_from, p_to) r
  GROUP BY r.coin_id
$$;
COMMENT ON FUNCTION volatility_between(text, timestamptz, timestamptz) IS
  'Per coin with daily candles in [p_from, p_to]: volatility = sample standard deviation of the daily log returns in the range x sqrt(365) (NULL with fewer than 2), observations = number of returns.';

CREATE FUNCTION rolling_volatility(
  p_vs text, p_coins text[], p_window_days int, p_from timestamptz, p_to timestamptz
)
RETURNS TABLE ("time" timestamptz, coin_id text, volatility double precision)
LANGUAGE sql STABLE AS $$
  SELECT x.bucket, x.coin_id, x.sd * sqrt(365)
  FROM (
    SELECT
      r.coin_id, r.bucket,
      stddev_samp(r.log_return) OVER (
        PARTITION BY r.coin_id ORDER BY r.bucket
        RANGE BETWEEN make_interval(hours => 24 * (p_window_days - 1)) PRECEDING AND CURRENT ROW
      ) AS sd
    FROM daily_log_returns(
      p_vs, p_from - make_interval(hours => 24 * p_window_days), p_to, p_coins
    ) r
    WHERE analytics_check(p_window_days >= 2, format('window must be at least 2 days, got %s', p_window_days))
  ) x
  WHERE x.bucket > p_from - INTERVAL '24 hours'
$$;
COMMENT ON FUNCTION rolling_volatility(text, text[], int, timestamptz, timestamptz) IS
  'For each daily candle in [p_from, p_to] of p_coins (NULL = all): annualized volatility of the daily log returns of the p_window_days days ending that day (days in (d - window, d]) = sample standard deviation x sqrt(365); NULL with fewer than 2 returns in the window.';

CREATE FUNCTION risk_metrics(p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  coin_id text, observations int, mean_log_return double precision, volatility double precision,
  max_drawdown double precision, sharpe double precision, sortino double precision
)
LANGUAGE sql STABLE AS $$
  WITH r AS (
    SELECT
      d.*,
      max(d.close) OVER (PARTITION BY d.coin_id ORDER BY d.bucket ROWS UNBOUNDED PRECEDING) AS peak
    FROM daily_log_returns(p_vs, p_from, p_to) d
  ),
  s AS (
    SELECT
      r.coin_id,
      count(r.log_return) AS n,
      avg(r.log_return) AS mean,
      stddev_samp(r.log_return) AS sd,
      sqrt(sum(least(r.log_return, 0) ^ 2) / NULLIF(count(r.log_return), 0)) AS downside,
      max(1 - r.close / NULLIF(r.peak, 0)) AS max_drawdown
    FROM r
    GROUP BY r.coin_id
  )
  SELECT
    s.coin_id, s.n::int, s.mean, s.sd * sqrt(365), s.max_drawdown,
    s.mean / NULLIF(s.sd, 0) * sqrt(365),
    s.mean / NULLIF(s.downside, 0) * sqrt(365)
  FROM s
$$;
COMMENT ON FUNCTION risk_metrics(text, timestamptz, timestamptz) IS
  'Per coin with daily candles in [p_from, p_to], over its daily log returns r (risk-free rate 0): observations = number of returns, mean_log_return = mean(r), volatility = stddev_samp(r) x sqrt(365), max_drawdown = max over days of 1 - close / running peak close (fraction, >= 0), sharpe = mean(r) / stddev_samp(r) x sqrt(365), sortino = mean(r) / sqrt(sum(min(r, 0)^2) / n) x sqrt(365). NULL when undefined (fewer than 2 returns, no variation, no down day).';

CREATE FUNCTION drawdown_series(p_coin text, p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  "time" timestamptz, price double precision, running_peak double precision, drawdown double precision
)
LANGUAGE sql STABLE AS $$
  SELECT x.bucket, x.close, x.peak, 1 - x.close / NULLIF(x.peak, 0)
  FROM (
    SELECT d.bucket, d.close, max(d.close) OVER (ORDER BY d.bucket ROWS UNBOUNDED PRECEDING) AS peak
    FROM candles_1d d
    WHERE d.coin_id = p_coin AND d.vs_currency = p_vs
      AND d.bucket > p_from - INTERVAL '24 hours' AND d.bucket <= p_to
  ) x
$$;
COMMENT ON FUNCTION drawdown_series(text, text, timestamptz, timestamptz) IS
  'Daily closes of p_coin in [p_from, p_to] with running_peak = highest close so far in the range and drawdown = 1 - price / running_peak (fraction below the peak, >= 0; max of it = max_drawdown of risk_metrics).';

CREATE FUNCTION correlation_matrix(p_vs text, p_coins text[], p_from timestamptz, p_to timestamptz)
RETURNS TABLE (coin_a text, coin_b text, correlation double precision, observations int)
LANGUAGE sql STABLE AS $$
  WITH chosen AS (
    SELECT DISTINCT unnest(p_coins) AS coin_id
  ),
  r AS (
    SELECT d.coin_id, d.bucket, d.log_return
    FROM daily_log_returns(p_vs, p_from, p_to, p_coins) d
    WHERE d.log_return IS NOT NULL
  ),
  pairs AS (
    SELECT a.coin_id AS coin_a, b.coin_id AS coin_b, corr(a.log_return, b.log_return) AS correlation,
      count(*)::int AS observations
    FROM r a JOIN r b ON a.bucket = b.bucket
    GROUP BY a.coin_id, b.coin_id
  )
  SELECT a.coin_id, b.coin_id, p.correlation, coalesce(p.observations, 0)
  FROM chosen a CROSS JOIN chosen b
  LEFT JOIN pairs p ON p.coin_a = a.coin_id AND p.coin_b = b.coin_id
$$;
COMMENT ON FUNCTION correlation_matrix(text, text[], timestamptz, timestamptz) IS
  'Every ordered pair (coin_a, coin_b) of p_coins, diagonal included: Pearson correlation of their daily log returns in [p_from, p_to] on the days both have one (observations = that count; NULL with fewer than 2 or no variation).';

CREATE FUNCTION risk_return(p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  coin_id text, symbol text, name text, volatility double precision, roi double precision,
  market_cap double precision, change_24h_pct double precision
)
LANGUAGE sql STABLE AS $$
  SELECT
    c.id, c.symbol, c.name, v.volatility,
    CASE WHEN e.time > p_from THEN e.price / NULLIF(s.price, 0) - 1 END,
    e.market_cap,
    100 * (e.price / NULLIF(d.price, 0) - 1)
  FROM volatility_between(p_vs, p_from, p_to) v
  JOIN coins c ON c.id = v.coin_id
  LEFT JOIN LATERAL price_at(c.id, p_vs, p_to) e ON true
  LEFT JOIN LATERAL price_at(c.id, p_vs, p_from) s ON true
  LEFT JOIN LATERAL price_before(c.id, p_vs, e.time, INTERVAL '24 hours') d ON true
$$;
COMMENT ON FUNCTION risk_return(text, timestamptz, timestamptz) IS
  'Input of the risk/return panel, per coin with daily candles in [p_from, p_to]: volatility (volatility_between), roi (as roi()), market_cap at p_to (of the hourly candle price_at uses) and change_24h_pct = 100 * (end price / price 24 h before it - 1) (see price_before).';
