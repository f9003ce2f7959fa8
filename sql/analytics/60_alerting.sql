-- Alerting views that build on the analytics surface (the others, and the thresholds and settings users
-- change with SQL, are in 301_alerting.sql). Grafana's provisioned alert rules query them every minute
-- (grafana/provisioning/alerting/rules.yaml): one row per alert instance, string columns as its labels.

-- Price moves over a window for the price-move rules: the newest snapshot of the last day against the newest
-- one at least a window earlier and at most two windows earlier (so a hole in the data does not turn into a
-- "1h" move over days). Both are raw rows, per enabled coin: exact prices that count as soon as they are
-- written, no candle involved.
CREATE FUNCTION alert_price_move_rows(p_window text, p_span interval)
RETURNS TABLE (
  coin_id text, symbol text, name text, vs_currency text, move_window text, "time" timestamptz,
  price double precision, reference_time timestamptz, reference_price double precision,
  change_pct double precision, threshold_pct double precision
)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
  currency text := (SELECT s.vs_currency FROM alert_settings s);
BEGIN
  RETURN QUERY
  WITH recent AS MATERIALIZED (
    -- Where the newest rows are while the collector runs: one read of the last 15 minutes for all coins.
    SELECT DISTINCT ON (s.coin_id) s.coin_id, s.time, s.price FROM market_snapshots s
    WHERE s.vs_currency = currency AND s.time > now() - INTERVAL '15 minutes'
    ORDER BY s.coin_id, s.time DESC
  ), latest AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY t.coin_id)::int AS i, t.coin_id, coalesce(r.time, o.time) AS time,
      coalesce(r.price, o.price) AS price,
      CASE p_window WHEN '1h' THEN t.move_1h_pct ELSE t.move_24h_pct END AS threshold_pct
    FROM alert_coin_thresholds t
    LEFT JOIN recent r ON r.coin_id = t.coin_id
    -- The other coins one by one (a probe each, ~40 us in TimescaleDB).
    LEFT JOIN LATERAL (
      SELECT s.time, s.price FROM market_snapshots s
      WHERE r.coin_id IS NULL AND s.coin_id = t.coin_id AND s.vs_currency = currency
        AND s.time > now() - INTERVAL '1 day'
      ORDER BY s.time DESC
      LIMIT 1
    ) o ON true
    WHERE t.enabled AND (r.coin_id IS NOT NULL OR o.time IS NOT NULL)
  ), refs AS (
    SELECT r.target AS i, r.time, r.price
    FROM (
      SELECT array_agg(l.coin_id ORDER BY l.i) AS coins, array_agg(l.time - p_span ORDER BY l.i) AS targets,
        array_agg(l.time - 2 * p_span - INTERVAL '1 microsecond' ORDER BY l.i) AS lowers
      FROM latest l
    ) a
    CROSS JOIN LATERAL raw_price_lookup(currency, a.coins, a.targets, a.lowers) r
  )
  SELECT
    l.coin_id, c.symbol, c.name, currency, p_window, l.time, l.price, r.time, r.price,
    100 * (l.price / r.price - 1), l.threshold_pct
  FROM latest l
  JOIN coins c ON c.id = l.coin_id
  JOIN refs r ON r.i = l.i
  WHERE r.price > 0;
END;
$$;
COMMENT ON FUNCTION alert_price_move_rows(text, interval) IS
  'The rows of alert_price_moves for one window (p_window is its label, ''1h'' or ''24h'', p_span its length).';

-- A query for one window (the rules filter on move_window) runs only that window's function: the filter applies
-- to the list of windows, before the call (on the function's own move_window column it would apply after both).
CREATE VIEW alert_price_moves AS
SELECT
  r.coin_id, r.symbol, r.name, r.vs_currency, w.move_window, r.time, r.price, r.reference_time, r.reference_price,
  r.change_pct, r.threshold_pct
FROM (VALUES ('1h', INTERVAL '1 hour'), ('24h', INTERVAL '24 hours')) AS w (move_window, span)
CROSS JOIN LATERAL alert_price_move_rows(w.move_window, w.span) r;
COMMENT ON VIEW alert_price_moves IS
  'Per coin and window (''1h'', ''24h''): change_pct (percent) from the newest snapshot at least one window (at most two) before the newest one, and the coin''s threshold_pct. Currency: alert_settings.vs_currency.';

-- Volatility spikes for the volatility-spike rule: the intraday volatility of the last 24 hours over the 30-day
-- daily volatility, both as the view volatility defines them (vol_intraday_24h and vol_30d, up to the newest
-- candles), in alert_settings.vs_currency, for coins with at least 6 hourly and 10 daily returns. Nothing while
-- the newest hourly candle is more than a day old: a stalled collector is the stale-data rule's business, and
-- a spike of the past must not keep firing.
CREATE VIEW alert_volatility_spikes AS
WITH s AS MATERIALIZED (
  SELECT a.vs_currency, n.hour, date_bin('24 hours', n.hour, '2000-01-03') AS day
  FROM alert_settings a
  CROSS JOIN (SELECT newest_hour() AS hour) n
  WHERE n.hour > now() - INTERVAL '24 hours'
), recent AS (
  SELECT h.coin_id, h.volatility AS vol_24h, h.log_returns AS hourly_returns
  FROM s
  CROSS JOIN LATERAL hourly_volatility(INTERVAL '24 hours') h
  WHERE h.vs_currency = s.vs_currency AND h.log_returns >= 6
), baseline AS (
  SELECT w.coin_id, w.stddev_log_return * sqrt(365) AS vol_30d, w.log_returns AS daily_returns
  FROM s
  CROSS JOIN LATERAL daily_return_windows(
    s.vs_currency, ARRAY[s.day - INTERVAL '720 hours'], greatest(s.day, now()), NULL, false
  ) w
  WHERE w.log_returns >= 10
)
SELECT
  r.coin_id,
  c.symbol,
  c.name,
  s.vs_currency,
  r.vol_24h,
  b.vol_30d,
  r.vol_24h / b.vol_30d AS spike_ratio,
  t.volatility_spike_ratio AS threshold_ratio,
  r.hourly_returns,
  b.daily_returns
FROM recent r
JOIN baseline b ON b.coin_id = r.coin_id AND b.vol_30d > 0
JOIN coins c ON c.id = r.coin_id
JOIN alert_coin_thresholds t ON t.coin_id = r.coin_id AND t.enabled
CROSS JOIN s;
COMMENT ON VIEW alert_volatility_spikes IS
  'Per coin (alert_settings.vs_currency): vol_24h = vol_intraday_24h and vol_30d = vol_30d of the view volatility (annualized; at least 6 hourly and 10 daily returns), spike_ratio = vol_24h / vol_30d, and the coin''s threshold_ratio. No rows while the newest hourly candle is more than 24 hours old.';
