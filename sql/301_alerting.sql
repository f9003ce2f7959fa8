-- Alerting: thresholds users change with SQL (no YAML edit), and the views Grafana's provisioned alert rules
-- query (grafana/provisioning/alerting/rules.yaml). Every rule query returns one row per alert instance
-- (per coin, or per ingest kind) with `now() AS time`, its string columns becoming the instance's labels.
--
-- Self-contained: these views read the core tables (market_snapshots, candles_1h/1d, coins, ingest_runs)
-- only, so alerting keeps working whatever the analytics surface does.

-- Per-coin thresholds. The row with coin_id NULL holds the defaults (it cannot be deleted); a row for a coin
-- overrides only the columns it sets (NULL = use the default). Examples:
--   UPDATE alert_thresholds SET move_24h_pct = 15 WHERE coin_id IS NULL;          -- all coins
--   INSERT INTO alert_thresholds (coin_id, move_1h_pct) VALUES ('dogecoin', 10);  -- one coin
--   INSERT INTO alert_thresholds (coin_id, enabled) VALUES ('some-coin', false);  -- silence a coin
CREATE TABLE alert_thresholds (
  coin_id text,
  move_1h_pct double precision CHECK (move_1h_pct > 0),
  move_24h_pct double precision CHECK (move_24h_pct > 0),
  volatility_spike_ratio double precision CHECK (volatility_spike_ratio > 0),
  enabled boolean,
  note text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alert_thresholds_coin_key UNIQUE NULLS NOT DISTINCT (coin_id),
  CONSTRAINT alert_thresholds_default_complete CHECK (
    coin_id IS NOT NULL
    OR (move_1h_pct IS NOT NULL AND move_24h_pct IS NOT NULL AND volatility_spike_ratio IS NOT NULL
      AND enabled IS NOT NULL)
  )
);
COMMENT ON TABLE alert_thresholds IS
  'Alert thresholds: the row with coin_id NULL is the default for every coin; a coin''s row overrides the columns it sets. *_pct are percentages (5 = 5%), volatility_spike_ratio is 24h hourly volatility over 30-day daily volatility.';

CREATE FUNCTION internal.keep_default_alert_thresholds() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.coin_id IS NULL THEN
    RAISE EXCEPTION 'alert_thresholds: the default row (coin_id NULL) cannot be deleted; UPDATE it instead';
  END IF;
  RETURN OLD;
END;
$$;
CREATE TRIGGER alert_thresholds_keep_default BEFORE DELETE ON alert_thresholds
  FOR EACH ROW EXECUTE FUNCTION internal.keep_default_alert_thresholds();

CREATE FUNCTION internal.touch_alert_thresholds() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
CREATE TRIGGER alert_thresholds_touch BEFORE UPDATE ON alert_thresholds
  FOR EACH ROW EXECUTE FUNCTION internal.touch_alert_thresholds();

INSERT INTO alert_thresholds (coin_id, move_1h_pct, move_24h_pct, volatility_spike_ratio, enabled, note) VALUES
  (NULL, 5, 12, 2.5, true, 'defaults for every coin');
-- Stablecoins: a 1% move is a depeg, which is exactly what deserves an alert.
INSERT INTO alert_thresholds (coin_id, move_1h_pct, move_24h_pct, note)
SELECT id, 1, 2, 'stablecoin: alert on depeg'
FROM (VALUES ('tether'), ('usd-coin'), ('dai'), ('binance-usd'), ('true-usd'), ('paxos-standard'),
  ('first-digital-usd'), ('paypal-usd'), ('frax'), ('usdd')) AS s (id);

-- Settings of the alert rules, one row.
CREATE TABLE alert_settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  vs_currency text NOT NULL DEFAULT 'usd',
  stale_after_intervals double precision NOT NULL DEFAULT 3 CHECK (stale_after_intervals >= 1),
  default_schedule_interval interval NOT NULL DEFAULT '1 hour' CHECK (default_schedule_interval > interval '0'),
  schedule_sample_cycles integer NOT NULL DEFAULT 20 CHECK (schedule_sample_cycles >= 2),
  error_window interval NOT NULL DEFAULT '1 hour' CHECK (error_window > interval '0')
);
INSERT INTO alert_settings DEFAULT VALUES;
COMMENT ON TABLE alert_settings IS
  'One row of alert settings: vs_currency of the price alerts; data is stale after stale_after_intervals schedule intervals; the schedule interval is the median gap of the last schedule_sample_cycles successful cycles (default_schedule_interval until two have run); collector errors count failed runs within error_window.';

-- Effective thresholds of every known coin (defaults merged with the coin's own row).
CREATE VIEW alert_coin_thresholds AS
SELECT
  c.id AS coin_id,
  coalesce(o.move_1h_pct, d.move_1h_pct) AS move_1h_pct,
  coalesce(o.move_24h_pct, d.move_24h_pct) AS move_24h_pct,
  coalesce(o.volatility_spike_ratio, d.volatility_spike_ratio) AS volatility_spike_ratio,
  coalesce(o.enabled, d.enabled) AS enabled,
  o.coin_id IS NOT NULL AS overridden
FROM coins c
CROSS JOIN (SELECT * FROM alert_thresholds WHERE coin_id IS NULL) d
LEFT JOIN alert_thresholds o ON o.coin_id = c.id;
COMMENT ON VIEW alert_coin_thresholds IS
  'Effective alert thresholds per coin: the coin''s own alert_thresholds values, else the defaults.';

-- Price moves over 1h and 24h for the price-move rules: the newest snapshot of the last day against the
-- newest one at least a window earlier (and at most two windows earlier, so a hole in the data does not turn
-- into a "1h" move over days).
CREATE VIEW alert_price_moves AS
WITH latest AS (
  SELECT DISTINCT ON (m.coin_id) m.coin_id, m.vs_currency, m.time, m.price
  FROM market_snapshots m
  JOIN alert_settings s ON m.vs_currency = s.vs_currency
  WHERE m.time > now() - interval '1 day'
  ORDER BY m.coin_id, m.time DESC
), windows (move_window, span) AS (
  VALUES ('1h', interval '1 hour'), ('24h', interval '24 hours')
)
SELECT
  l.coin_id,
  c.symbol,
  c.name,
  l.vs_currency,
  w.move_window,
  l.time,
  l.price,
  ref.time AS reference_time,
  ref.price AS reference_price,
  100 * (l.price / ref.price - 1) AS change_pct,
  CASE w.move_window WHEN '1h' THEN t.move_1h_pct ELSE t.move_24h_pct END AS threshold_pct
FROM latest l
JOIN coins c ON c.id = l.coin_id
JOIN alert_coin_thresholds t ON t.coin_id = l.coin_id AND t.enabled
CROSS JOIN windows w
CROSS JOIN LATERAL (
  SELECT m.time, m.price FROM market_snapshots m
  WHERE m.coin_id = l.coin_id AND m.vs_currency = l.vs_currency
    AND m.time <= l.time - w.span AND m.time >= l.time - 2 * w.span
  ORDER BY m.time DESC
  LIMIT 1
) ref
WHERE ref.price > 0;
COMMENT ON VIEW alert_price_moves IS
  'Per coin and window (''1h'', ''24h''): change_pct (percent) from the newest snapshot at least one window (at most two) before the newest one, and the coin''s threshold_pct. Currency: alert_settings.vs_currency.';

-- Volatility spikes: annualized volatility of hourly log returns over the last 24h against that of daily log
-- returns over the last 30 days (both from the candles, so the ratio is unitless).
CREATE VIEW alert_volatility_spikes AS
WITH hourly AS (
  SELECT h.coin_id, ln(h.close / lag(h.close) OVER (PARTITION BY h.coin_id ORDER BY h.bucket)) AS r
  FROM candles_1h h
  JOIN alert_settings s ON h.vs_currency = s.vs_currency
  WHERE h.bucket > now() - interval '25 hours' AND h.close > 0
), daily AS (
  SELECT d.coin_id, ln(d.close / lag(d.close) OVER (PARTITION BY d.coin_id ORDER BY d.bucket)) AS r
  FROM candles_1d d
  JOIN alert_settings s ON d.vs_currency = s.vs_currency
  WHERE d.bucket > now() - interval '31 days' AND d.close > 0
), recent AS (
  SELECT coin_id, stddev_samp(r) * sqrt(24 * 365) AS vol_24h, count(r)::int AS hourly_returns
  FROM hourly GROUP BY coin_id HAVING count(r) >= 6
), baseline AS (
  SELECT coin_id, stddev_samp(r) * sqrt(365) AS vol_30d, count(r)::int AS daily_returns
  FROM daily GROUP BY coin_id HAVING count(r) >= 10
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
CROSS JOIN alert_settings s;
COMMENT ON VIEW alert_volatility_spikes IS
  'Per coin: vol_24h (annualized, hourly log returns of the last 24h, at least 6) over vol_30d (annualized, daily log returns of the last 30 days, at least 10) = spike_ratio, and the coin''s threshold_ratio.';

-- Freshness of the pipeline, for the stale-data rule and the pipeline-health dashboard. The schedule lives in
-- the service's environment, so its interval is observed: the median gap between the last successful cycles.
CREATE VIEW pipeline_freshness AS
WITH settings AS (
  SELECT * FROM alert_settings
), recent_cycles AS (
  SELECT started_at FROM ingest_runs
  WHERE kind = 'cycle' AND status IN ('ok', 'partial')
  ORDER BY started_at DESC
  LIMIT (SELECT schedule_sample_cycles FROM settings)
), gaps AS (
  SELECT extract(epoch FROM started_at - lag(started_at) OVER (ORDER BY started_at))::float8 AS seconds
  FROM recent_cycles
), observed AS (
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS seconds FROM gaps WHERE seconds > 0
), newest AS (
  -- Bounded scans first (a BRIN index only helps a time range); the year-long one runs only when needed.
  SELECT coalesce(
    (SELECT max(time) FROM market_snapshots WHERE time > now() - interval '1 day'),
    (SELECT max(time) FROM market_snapshots WHERE time > now() - interval '400 days')
  ) AS snapshot_at
), last_cycle AS (
  SELECT started_at, finished_at, status FROM ingest_runs WHERE kind = 'cycle' ORDER BY started_at DESC LIMIT 1
), last_success AS (
  SELECT max(finished_at) AS at FROM ingest_runs WHERE kind = 'cycle' AND status IN ('ok', 'partial')
)
SELECT
  n.snapshot_at AS last_snapshot_at,
  extract(epoch FROM now() - n.snapshot_at)::float8 AS snapshot_age_seconds,
  ls.at AS last_successful_cycle_at,
  extract(epoch FROM now() - ls.at)::float8 AS successful_cycle_age_seconds,
  lc.started_at AS last_cycle_at,
  lc.status AS last_cycle_status,
  coalesce(o.seconds, extract(epoch FROM s.default_schedule_interval)::float8) AS schedule_interval_seconds,
  CASE WHEN o.seconds IS NULL THEN 'default' ELSE 'observed' END AS schedule_interval_source,
  s.stale_after_intervals * coalesce(o.seconds, extract(epoch FROM s.default_schedule_interval)::float8)
    AS stale_after_seconds,
  coalesce(
    extract(epoch FROM now() - n.snapshot_at)::float8
      > s.stale_after_intervals * coalesce(o.seconds, extract(epoch FROM s.default_schedule_interval)::float8),
    true
  ) AS is_stale
FROM settings s
CROSS JOIN observed o
CROSS JOIN newest n
CROSS JOIN last_success ls
LEFT JOIN last_cycle lc ON true;
COMMENT ON VIEW pipeline_freshness IS
  'One row: newest snapshot and its age, last successful cycle, the schedule interval (median gap of recent successful cycles, or alert_settings.default_schedule_interval) and stale_after_seconds = stale_after_intervals x that interval.';

-- Collector errors per ingest kind within alert_settings.error_window (every kind is listed, with 0 when quiet).
CREATE VIEW collector_errors AS
SELECT
  k.kind,
  count(r.id) FILTER (WHERE r.status = 'failed')::int AS failed_runs,
  count(r.id) FILTER (WHERE r.status = 'partial')::int AS partial_runs,
  count(r.id)::int AS runs,
  max(r.started_at) FILTER (WHERE r.status = 'failed') AS last_failure_at,
  (array_agg(r.error ORDER BY r.started_at DESC) FILTER (WHERE r.status = 'failed'))[1] AS last_error
FROM (VALUES ('cycle'), ('backfill'), ('gap_repair'), ('retention')) AS k (kind)
LEFT JOIN ingest_runs r
  ON r.kind = k.kind AND r.started_at > now() - (SELECT error_window FROM alert_settings)
GROUP BY k.kind;
COMMENT ON VIEW collector_errors IS
  'Per ingest kind: failed, partial and all runs started within alert_settings.error_window, and the last failure.';
