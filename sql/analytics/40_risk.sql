-- Analytics, part 4: volatility, risk ratios, drawdowns, correlation. Daily log returns and "daily candles
-- in [from, to]" as in 10_building_blocks.sql (daily_log_returns, daily_return_stats).
-- Annualization: x sqrt(365) for daily returns (crypto trades every day), x sqrt(24 * 365) for hourly.

-- Hourly log returns of the hours in (newest hour - p_span, newest hour], per series (the return of an hour
-- needs the candle of the hour before, which is read too): each candle joined with the one an hour before it,
-- hash joins and aggregates (nothing needs an order).
CREATE FUNCTION hourly_volatility(p_span interval)
RETURNS TABLE (coin_id text, vs_currency text, volatility double precision, log_returns integer)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET enable_mergejoin = off SET enable_sort = off AS $$
#variable_conflict use_column
DECLARE
  hour timestamptz := newest_hour();
BEGIN
  RETURN QUERY
  WITH h AS MATERIALIZED (
    SELECT h.coin_id, h.vs_currency, h.bucket, h.close FROM candles_1h h WHERE h.bucket >= hour - p_span
  )
  SELECT r.coin_id, r.vs_currency, stddev_samp(r.r) * sqrt(24 * 365), count(r.r)::int
  FROM (
    SELECT h.coin_id, h.vs_currency, CASE WHEN h.close > 0 AND p.close > 0 THEN ln(h.close / p.close) END AS r
    FROM h
    LEFT JOIN h p ON p.coin_id = h.coin_id AND p.vs_currency = h.vs_currency
      AND p.bucket = h.bucket - INTERVAL '1 hour'
  ) r
  GROUP BY r.coin_id, r.vs_currency;
END;
$$;
COMMENT ON FUNCTION hourly_volatility(interval) IS
  'Per series with hourly candles in the p_span up to the newest hourly candle H: annualized volatility = sample standard deviation of the hourly log returns of the hours in (H - p_span, H] x sqrt(24 * 365) (NULL below 2 returns), and their count.';

-- The three daily windows in one pass over the candles (one coin's in about a millisecond: dashboards call
-- this with their coins rather than filter the view, which computes every series).
CREATE FUNCTION latest_volatility(p_vs text DEFAULT NULL, p_coins text[] DEFAULT NULL)
RETURNS TABLE (
  coin_id text, vs_currency text, vol_7d double precision, vol_30d double precision, vol_90d double precision
)
LANGUAGE sql STABLE AS $$
  WITH d AS MATERIALIZED (
    SELECT date_bin('24 hours', newest_hour(), '2000-01-03') AS day
  )
  SELECT
    w.coin_id,
    w.vs_currency,
    max(w.stddev_log_return) FILTER (WHERE w.window_from = d.day - INTERVAL '168 hours') * sqrt(365),
    max(w.stddev_log_return) FILTER (WHERE w.window_from = d.day - INTERVAL '720 hours') * sqrt(365),
    max(w.stddev_log_return) FILTER (WHERE w.window_from = d.day - INTERVAL '2160 hours') * sqrt(365)
  FROM d
  CROSS JOIN LATERAL daily_return_windows(
    p_vs,
    ARRAY[d.day - INTERVAL '2160 hours', d.day - INTERVAL '720 hours', d.day - INTERVAL '168 hours'],
    greatest(d.day, now()), p_coins, false
  ) w
  GROUP BY w.coin_id, w.vs_currency, d.day
$$;
COMMENT ON FUNCTION latest_volatility(text, text[]) IS
  'The daily columns of the view volatility (vol_7d, vol_30d, vol_90d) for the series of p_vs and p_coins when given (NULL = all): for a few coins, call this rather than filter the view.';

-- The hourly windows are joins the planner leaves out when a query does not use them (grouped by series, so
-- provably one row each).
CREATE VIEW volatility AS
SELECT
  v.coin_id,
  v.vs_currency,
  v.vol_7d,
  v.vol_30d,
  v.vol_90d,
  h24.volatility AS vol_intraday_24h,
  h7d.volatility AS vol_intraday_7d,
  CASE WHEN v.vol_30d IS NOT NULL
    THEN (rank() OVER (PARTITION BY v.vs_currency ORDER BY v.vol_30d DESC NULLS LAST))::int
  END AS vol_rank_30d
FROM latest_volatility() v
LEFT JOIN (
  SELECT h.coin_id, h.vs_currency, max(h.volatility) AS volatility
  FROM hourly_volatility(INTERVAL '24 hours') h
  GROUP BY h.coin_id, h.vs_currency
) h24 ON h24.coin_id = v.coin_id AND h24.vs_currency = v.vs_currency
LEFT JOIN (
  SELECT h.coin_id, h.vs_currency, max(h.volatility) AS volatility
  FROM hourly_volatility(INTERVAL '168 hours') h
  GROUP BY h.coin_id, h.vs_currency
) h7d ON h7d.coin_id = v.coin_id AND h7d.vs_currency = v.vs_currency;
COMMENT ON VIEW volatility IS
  'Annualized volatility per (coin_id, vs_currency) with daily candles in the 90 days up to the newest daily candle D: vol_Nd = sample standard deviation of the daily log returns of the days in (D - N days, D] x sqrt(365) for N = 7, 30, 90; vol_intraday_24h / _7d = the same over hourly log returns of the hours in (H - 24 h, H] / (H - 7 d, H], H = newest hourly candle, x sqrt(24 * 365); vol_rank_30d = RANK() by vol_30d descending per currency. NULL with fewer than 2 returns.';

CREATE FUNCTION volatility_between(p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (coin_id text, volatility double precision, observations int)
LANGUAGE sql STABLE AS $$
  SELECT s.coin_id, s.stddev_log_return * sqrt(365), s.log_returns
  FROM daily_return_windows(p_vs, ARRAY[p_from], p_to, NULL, false) s
$$;
COMMENT ON FUNCTION volatility_between(text, timestamptz, timestamptz) IS
  'Per coin with daily candles in [p_from, p_to]: volatility = sample standard deviation of the daily log returns in the range x sqrt(365) (NULL with fewer than 2), observations = number of returns.';

-- The window's sums as differences of running sums: the running count, sum and sum of squares of the returns at
-- a day, minus those at the last day at least p_window_days earlier (O(1) a row, where a sliding stddev_samp
-- re-aggregates the window at every row).
CREATE FUNCTION rolling_volatility(
  p_vs text, p_coins text[], p_window_days int, p_from timestamptz, p_to timestamptz
)
RETURNS TABLE ("time" timestamptz, coin_id text, volatility double precision)
LANGUAGE sql STABLE AS $$
  SELECT y.bucket, y.coin_id,
    CASE WHEN y.n >= 2 THEN sqrt(greatest(y.s2 - y.s1 ^ 2 / y.n, 0) / (y.n - 1)) * sqrt(365) END
  FROM (
    SELECT
      x.coin_id, x.bucket, x.n - coalesce(x.n_before, 0) AS n, x.s1 - coalesce(x.s1_before, 0) AS s1,
      x.s2 - coalesce(x.s2_before, 0) AS s2
    FROM (
      SELECT
        c.coin_id, c.bucket, c.n, c.s1, c.s2,
        last_value(c.n) OVER before AS n_before, last_value(c.s1) OVER before AS s1_before,
        last_value(c.s2) OVER before AS s2_before
      FROM (
        SELECT
          r.coin_id, r.bucket,
          count(r.log_return) OVER running AS n,
          coalesce(sum(r.log_return) OVER running, 0) AS s1,
          coalesce(sum(r.log_return ^ 2) OVER running, 0) AS s2
        FROM daily_log_returns(
          p_vs, p_from - make_interval(hours => 24 * p_window_days), p_to, p_coins
        ) r
        WHERE analytics_check(p_window_days >= 2, format('window must be at least 2 days, got %s', p_window_days))
        WINDOW running AS (PARTITION BY r.coin_id COLLATE "C" ORDER BY r.bucket ROWS UNBOUNDED PRECEDING)
      ) c
      WINDOW before AS (
        PARTITION BY c.coin_id COLLATE "C" ORDER BY c.bucket
        RANGE BETWEEN UNBOUNDED PRECEDING AND make_interval(hours => 24 * p_window_days) PRECEDING
      )
    ) x
    WHERE x.bucket > p_from - INTERVAL '24 hours'
  ) y
$$;
COMMENT ON FUNCTION rolling_volatility(text, text[], int, timestamptz, timestamptz) IS
  'For each daily candle in [p_from, p_to] of p_coins (NULL = all): annualized volatility of the daily log returns of the p_window_days days ending that day (days in (d - window, d]) = sample standard deviation x sqrt(365); NULL with fewer than 2 returns in the window.';

CREATE FUNCTION risk_metrics(p_vs text, p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL)
RETURNS TABLE (
  coin_id text, observations int, mean_log_return double precision, volatility double precision,
  max_drawdown double precision, sharpe double precision, sortino double precision
)
LANGUAGE sql STABLE AS $$
  SELECT
    s.coin_id, s.log_returns, s.mean_log_return, s.stddev_log_return * sqrt(365), s.max_drawdown,
    s.mean_log_return / NULLIF(s.stddev_log_return, 0) * sqrt(365),
    s.mean_log_return / NULLIF(s.downside_deviation, 0) * sqrt(365)
  FROM daily_return_stats(p_vs, p_from, p_to, p_coins) s
$$;
COMMENT ON FUNCTION risk_metrics(text, timestamptz, timestamptz, text[]) IS
  'Per coin (of p_coins; NULL = all) with daily candles in [p_from, p_to], over its daily log returns r (risk-free rate 0): observations = number of returns, mean_log_return = mean(r), volatility = stddev_samp(r) x sqrt(365), max_drawdown = max over days of 1 - close / running peak close (fraction, >= 0), sharpe = mean(r) / stddev_samp(r) x sqrt(365), sortino = mean(r) / sqrt(sum(min(r, 0)^2) / n) x sqrt(365). NULL when undefined (fewer than 2 returns, no variation, no down day).';

CREATE FUNCTION drawdown_series(p_coin text, p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  "time" timestamptz, price double precision, running_peak double precision, drawdown double precision
)
LANGUAGE sql STABLE AS $$
  SELECT x.bucket, x.close, x.peak, 1 - x.close / NULLIF(x.peak, 0)
  FROM (
    SELECT d.bucket, d.close, max(d.close) OVER (ORDER BY d.bucket ROWS UNBOUNDED PRECEDING) AS peak
    FROM daily_log_returns(p_vs, p_from, p_to, ARRAY[p_coin]) d
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

CREATE FUNCTION risk_return(p_vs text, p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL)
RETURNS TABLE (
  coin_id text, symbol text, name text, volatility double precision, roi double precision,
  market_cap double precision, change_24h_pct double precision
)
LANGUAGE sql STABLE AS $$
  WITH v AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY s.coin_id)::int AS i, s.coin_id, s.stddev_log_return * sqrt(365) AS volatility
    FROM daily_return_windows(p_vs, ARRAY[p_from], p_to, p_coins, false) s
  ),
  prices AS MATERIALIZED (
    -- Targets 1..n: the end prices, n+1..2n: the start prices.
    SELECT l.*
    FROM (SELECT array_agg(coin_id ORDER BY i) AS coins, count(*)::int AS n FROM v) a
    CROSS JOIN LATERAL price_lookup(p_vs, a.coins || a.coins, array_fill(p_to, ARRAY[a.n]) || array_fill(p_from, ARRAY[a.n])) l
  ),
  ends AS (
    SELECT row_number() OVER (ORDER BY p.target)::int AS k, p.* FROM prices p WHERE p.target <= (SELECT count(*) FROM v)
  ),
  before AS (
    SELECT e.target, b.price
    FROM (SELECT array_agg(coin_id ORDER BY k) AS coins, array_agg(time ORDER BY k) AS instants, count(*)::int AS n FROM ends) a
    CROSS JOIN LATERAL prices_before(p_vs, a.coins, a.instants, array_fill(INTERVAL '24 hours', ARRAY[a.n])) b
    JOIN ends e ON e.k = b.target
  )
  SELECT
    v.coin_id, c.symbol, c.name, v.volatility,
    CASE WHEN e.time > p_from THEN e.price / NULLIF(s.price, 0) - 1 END,
    e.market_cap,
    100 * (e.price / NULLIF(d.price, 0) - 1)
  FROM v
  JOIN coins c ON c.id = v.coin_id
  LEFT JOIN prices e ON e.target = v.i
  LEFT JOIN prices s ON s.target = v.i + (SELECT count(*) FROM v)
  LEFT JOIN before d ON d.target = v.i
$$;
COMMENT ON FUNCTION risk_return(text, timestamptz, timestamptz, text[]) IS
  'Input of the risk/return panel, per coin (of p_coins; NULL = all) with daily candles in [p_from, p_to]: volatility (volatility_between), roi (as roi()), market_cap at p_to (of the hourly candle price_at uses) and change_24h_pct = 100 * (end price / price 24 h before it - 1) (see price_before).';
