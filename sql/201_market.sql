-- Analytics, part 1: shared helpers and the market "as of now" surface.
-- Plain PostgreSQL only (identical in both storage modes): the objects read candles_1h/candles_1d, which
-- are tables in one mode and continuous aggregates in the other, with the same columns.
--
-- Conventions of every analytics object (README.md, "SQL guide", has the full guide):
-- * Day and hour arithmetic uses hours ('24 hours', not '1 day'), so results do not depend on the session
--   time zone (timestamptz +/- '1 day' follows daylight-saving changes of the session's zone).
-- * "Price at t" (returns, ROI) = close of the last hourly candle whose observations all lie at or before t.
-- * "As of now" objects are relative to the newest data, not to now(): a stalled collector shows stale but
--   consistent figures rather than empty panels; the `time` columns tell how fresh they are.
-- * Every division is guarded: too little data gives NULL, never an error.

-- No JIT compilation in this database: the analytics are short index-driven queries, and with TimescaleDB
-- the planner's cost estimates for the real-time candles (union of materialized and raw chunks) exceed
-- jit_above_cost, so a 2 ms query spent ~1 s compiling. Applies to new sessions (the database owner
-- runs the migrations, so this needs no superuser).
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END;
$$;

-- Raises a clear one-line error for bad arguments; used inside SQL functions, which cannot RAISE.
-- STABLE so that it does not stop the callers from being inlined.
CREATE FUNCTION analytics_check(p_ok boolean, p_message text)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_ok IS NOT TRUE THEN
    RAISE EXCEPTION '%', p_message USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN true;
END;
$$;
COMMENT ON FUNCTION analytics_check(boolean, text) IS
  'Helper of the analytics functions: raises p_message (invalid_parameter_value) unless p_ok is true.';

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

-- Price at t from the hourly candles: at most one hour older than t when data is dense.
-- Branches over disjoint, successively older bucket ranges, so the usual case reads two index entries:
-- the last 2 hours before t, else the last 3 days, else everything older (a coin that stopped trading).
-- (TimescaleDB's real-time aggregate is a UNION under which an ORDER BY ... LIMIT cannot stop early.)
CREATE FUNCTION price_at(p_coin text, p_vs text, p_at timestamptz)
RETURNS TABLE ("time" timestamptz, price double precision, market_cap double precision)
LANGUAGE sql STABLE AS $$
  (SELECT h.close_time, h.close, h.market_cap
   FROM candles_1h h
   WHERE h.coin_id = p_coin AND h.vs_currency = p_vs AND h.close_time <= p_at
     AND h.bucket <= p_at AND h.bucket > p_at - INTERVAL '2 hours'
   ORDER BY h.bucket DESC
   LIMIT 1)
  UNION ALL
  (SELECT h.close_time, h.close, h.market_cap
   FROM candles_1h h
   WHERE h.coin_id = p_coin AND h.vs_currency = p_vs
     AND h.bucket <= p_at - INTERVAL '2 hours' AND h.bucket > p_at - INTERVAL '72 hours'
   ORDER BY h.bucket DESC
   LIMIT 1)
  UNION ALL
  (SELECT h.close_time, h.close, h.market_cap
   FROM candles_1h h
   WHERE h.coin_id = p_coin AND h.vs_currency = p_vs AND h.bucket <= p_at - INTERVAL '72 hours'
   ORDER BY h.bucket DESC
   LIMIT 1)
  LIMIT 1
$$;
COMMENT ON FUNCTION price_at(text, text, timestamptz) IS
  'Price at p_at: close (and market cap, and the time of that close) of the last hourly candle whose observations all lie at or before p_at. No row when the coin has no data before p_at.';

-- Reference price for a change over p_horizon ending at p_at: the last observation at or before
-- p_at - p_horizon, if it is at most p_horizon / 4 older than that instant (else unknown: a gap or a
-- too short history). Exact raw snapshots for horizons up to 48 hours (raw rows are kept at least 7 days),
-- hourly candles otherwise and when the raw rows are gone.
CREATE FUNCTION price_before(p_coin text, p_vs text, p_at timestamptz, p_horizon interval)
RETURNS TABLE ("time" timestamptz, price double precision)
LANGUAGE sql STABLE AS $$
  (SELECT s.time, s.price
   FROM market_snapshots s
   WHERE p_horizon <= INTERVAL '48 hours'
     AND s.coin_id = p_coin AND s.vs_currency = p_vs
     AND s.time <= p_at - p_horizon AND s.time > p_at - p_horizon * 1.25
   ORDER BY s.time DESC
   LIMIT 1)
  UNION ALL
  -- Hourly closes: the 2 hours before the instant first (two index entries), then the rest of the
  -- tolerance (the latest close at or before the instant is the answer if any close is).
  (SELECT h.close_time, h.close
   FROM candles_1h h
   WHERE h.coin_id = p_coin AND h.vs_currency = p_vs
     AND h.bucket <= p_at - p_horizon AND h.bucket > p_at - p_horizon - INTERVAL '2 hours'
     AND h.close_time <= p_at - p_horizon AND h.close_time > p_at - p_horizon * 1.25
   ORDER BY h.bucket DESC
   LIMIT 1)
  UNION ALL
  (SELECT h.close_time, h.close
   FROM candles_1h h
   WHERE h.coin_id = p_coin AND h.vs_currency = p_vs
     AND h.bucket <= p_at - p_horizon - INTERVAL '2 hours'
     AND h.bucket > p_at - p_horizon * 1.25 - INTERVAL '1 hour'
     AND h.close_time > p_at - p_horizon * 1.25
   ORDER BY h.bucket DESC
   LIMIT 1)
  LIMIT 1
$$;
COMMENT ON FUNCTION price_before(text, text, timestamptz, interval) IS
  'Reference price of a change over p_horizon ending at p_at: the last observation at or before p_at - p_horizon, provided it is no more than p_horizon/4 older than that (raw snapshots for horizons up to 48 h, hourly candles otherwise). No row when unknown.';

-- Latest observation per (coin, currency): pairs observed in the 7 days before the newest daily candle.
-- The latest daily candle gives the time of the last raw row (close_time), which is then read by its key.
CREATE VIEW latest_market AS
WITH newest AS (
  -- The newest daily bucket; looked for in the last week first (TimescaleDB cannot answer max() over
  -- a continuous aggregate from an index: it would read every bucket).
  SELECT coalesce(
    (SELECT max(bucket) FROM candles_1d WHERE bucket > now() - INTERVAL '168 hours'),
    (SELECT max(bucket) FROM candles_1d)
  ) AS day
),
recent AS (
  SELECT DISTINCT ON (d.coin_id, d.vs_currency)
    d.coin_id, d.vs_currency, d.close_time, d.close, d.market_cap, d.volume
  FROM candles_1d d
  -- A scalar bound (not a join with `newest`): an index condition, and chunk exclusion in TimescaleDB.
  WHERE d.bucket >= (SELECT day FROM newest) - INTERVAL '168 hours'
  ORDER BY d.coin_id, d.vs_currency, d.bucket DESC
)
SELECT
  r.coin_id,
  c.symbol,
  c.name,
  c.image_url,
  r.close_time AS time,
  coalesce(s.price, r.close) AS price,
  coalesce(s.market_cap, r.market_cap) AS market_cap,
  s.market_cap_rank,
  coalesce(s.total_volume, r.volume) AS total_volume,
  coalesce(s.total_volume, r.volume) / NULLIF(coalesce(s.market_cap, r.market_cap), 0) AS liquidity_ratio,
  s.circulating_supply,
  s.total_supply,
  s.max_supply,
  coalesce(s.high_24h, (
    SELECT max(h.high) FROM candles_1h h
    WHERE h.coin_id = r.coin_id AND h.vs_currency = r.vs_currency
      AND h.bucket > r.close_time - INTERVAL '24 hours' AND h.bucket <= r.close_time
  )) AS high_24h,
  coalesce(s.low_24h, (
    SELECT min(h.low) FROM candles_1h h
    WHERE h.coin_id = r.coin_id AND h.vs_currency = r.vs_currency
      AND h.bucket > r.close_time - INTERVAL '24 hours' AND h.bucket <= r.close_time
  )) AS low_24h,
  coalesce(s.ath, own.high) AS ath,
  CASE WHEN s.ath IS NOT NULL THEN s.ath_date ELSE own.bucket END AS ath_date,
  CASE WHEN coalesce(s.ath, own.high) > 0
    THEN greatest(0, 100 * (1 - coalesce(s.price, r.close) / coalesce(s.ath, own.high)))
  END AS pct_below_ath,
  (
    SELECT array_agg(h.close ORDER BY h.bucket) FROM candles_1h h
    WHERE h.coin_id = r.coin_id AND h.vs_currency = r.vs_currency
      AND h.bucket > r.close_time - INTERVAL '168 hours' AND h.bucket <= r.close_time
  ) AS sparkline_7d,
  r.vs_currency
FROM recent r
JOIN coins c ON c.id = r.coin_id
-- LATERAL + LIMIT: always an index probe by the unique key (a plain join may hash the whole raw table).
LEFT JOIN LATERAL (
  SELECT * FROM market_snapshots s
  WHERE s.coin_id = r.coin_id AND s.vs_currency = r.vs_currency AND s.time = r.close_time
  LIMIT 1
) s ON true
-- Our own all-time high, only when CoinGecko's is missing (backfilled rows have none).
LEFT JOIN LATERAL (
  SELECT d.high, d.bucket FROM candles_1d d
  WHERE s.ath IS NULL AND d.coin_id = r.coin_id AND d.vs_currency = r.vs_currency
  ORDER BY d.high DESC, d.bucket
  LIMIT 1
) own ON true;
COMMENT ON VIEW latest_market IS
  'One row per (coin_id, vs_currency) observed in the 7 days before the newest daily candle: the latest snapshot (time, price, market cap and CoinGecko rank, 24h volume, liquidity_ratio = total_volume / market_cap, supply, 24h high/low), the all-time high (CoinGecko''s, else the highest daily high in our history) with pct_below_ath = max(0, 100 * (1 - price / ath)), and sparkline_7d = hourly closes of the 7 days up to time, oldest first.';

CREATE VIEW price_changes AS
SELECT
  m.coin_id,
  m.vs_currency,
  m.price,
  100 * (m.price / NULLIF(h1.price, 0) - 1) AS change_1h_pct,
  100 * (m.price / NULLIF(h24.price, 0) - 1) AS change_24h_pct,
  100 * (m.price / NULLIF(d7.price, 0) - 1) AS change_7d_pct,
  100 * (m.price / NULLIF(d30.price, 0) - 1) AS change_30d_pct,
  100 * (m.price / NULLIF(d90.price, 0) - 1) AS change_90d_pct,
  100 * (m.price / NULLIF(y1.price, 0) - 1) AS change_1y_pct,
  s.price_change_pct_1h AS cg_change_1h_pct,
  s.price_change_pct_24h AS cg_change_24h_pct,
  s.price_change_pct_7d AS cg_change_7d_pct,
  s.price_change_pct_30d AS cg_change_30d_pct,
  s.price_change_pct_1y AS cg_change_1y_pct,
  m.time
FROM latest_market m
LEFT JOIN LATERAL (
  SELECT * FROM market_snapshots s
  WHERE s.coin_id = m.coin_id AND s.vs_currency = m.vs_currency AND s.time = m.time
  LIMIT 1
) s ON true
LEFT JOIN LATERAL price_before(m.coin_id, m.vs_currency, m.time, INTERVAL '1 hour') h1 ON true
LEFT JOIN LATERAL price_before(m.coin_id, m.vs_currency, m.time, INTERVAL '24 hours') h24 ON true
LEFT JOIN LATERAL price_before(m.coin_id, m.vs_currency, m.time, INTERVAL '168 hours') d7 ON true
LEFT JOIN LATERAL price_before(m.coin_id, m.vs_currency, m.time, INTERVAL '720 hours') d30 ON true
LEFT JOIN LATERAL price_before(m.coin_id, m.vs_currency, m.time, INTERVAL '2160 hours') d90 ON true
LEFT JOIN LATERAL price_before(m.coin_id, m.vs_currency, m.time, INTERVAL '8760 hours') y1 ON true;
COMMENT ON VIEW price_changes IS
  'Per (coin_id, vs_currency) of latest_market: change_X_pct = 100 * (price / price X before time - 1) for 1h, 24h, 7d, 30d, 90d and 1y (365 days), from our own history (see price_before: NULL when the history is too short or has a gap there), beside CoinGecko''s reported changes of the latest snapshot (cg_*; NULL for backfilled rows).';

CREATE VIEW price_tiers AS
SELECT
  m.coin_id,
  m.vs_currency,
  m.price,
  replace(
    CASE
      WHEN m.price < 0.01 THEN '< $0.01'
      WHEN m.price < 1 THEN '$0.01–1'
      WHEN m.price < 100 THEN '$1–100'
      WHEN m.price < 10000 THEN '$100–10k'
      ELSE '≥ $10k'
    END,
    '$', CASE WHEN m.vs_currency = 'usd' THEN '$' ELSE upper(m.vs_currency) || ' ' END
  ) AS tier,
  CASE
    WHEN m.price < 0.01 THEN 1
    WHEN m.price < 1 THEN 2
    WHEN m.price < 100 THEN 3
    WHEN m.price < 10000 THEN 4
    ELSE 5
  END AS tier_order
FROM latest_market m;
COMMENT ON VIEW price_tiers IS
  'Latest price per (coin_id, vs_currency) in tiers: ''< $0.01'', ''$0.01–1'', ''$1–100'', ''$100–10k'', ''≥ $10k'' (lower bound inclusive; ''$'' is replaced by the currency code outside usd, e.g. ''EUR 1–100''); tier_order 1..5 sorts them.';

-- Stablecoins: a maintained list plus behaviour-based detection.
CREATE TABLE stablecoins (
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
]), 'list';

CREATE VIEW stablecoin_candidates AS
WITH newest AS (
  -- The newest daily bucket; looked for in the last week first (TimescaleDB cannot answer max() over
  -- a continuous aggregate from an index: it would read every bucket).
  SELECT coalesce(
    (SELECT max(bucket) FROM candles_1d WHERE bucket > now() - INTERVAL '168 hours'),
    (SELECT max(bucket) FROM candles_1d)
  ) AS day
)
SELECT
  d.coin_id,
  count(*)::int AS days,
  avg(d.close) AS mean_price,
  min(d.close) AS min_price,
  max(d.close) AS max_price
FROM candles_1d d
WHERE d.vs_currency = 'usd' AND d.bucket > (SELECT day FROM newest) - INTERVAL '720 hours'
GROUP BY d.coin_id
HAVING count(*) >= 14 AND min(d.close) >= 0.97 AND max(d.close) <= 1.03;
COMMENT ON VIEW stablecoin_candidates IS
  'Coins behaving like USD stablecoins: at least 14 daily closes in usd in the 30 days up to the newest daily candle, all within 3% of 1 USD.';

CREATE FUNCTION record_detected_stablecoins()
RETURNS integer
LANGUAGE sql AS $$
  WITH added AS (
    INSERT INTO stablecoins (coin_id, source)
    SELECT coin_id, 'detected' FROM stablecoin_candidates
    ON CONFLICT (coin_id) DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::int FROM added
$$;
COMMENT ON FUNCTION record_detected_stablecoins() IS
  'Adds the current stablecoin_candidates to stablecoins with source ''detected'' (so a coin stays excluded while it is briefly off its peg); returns how many were added. Writes: for the collector or an operator, not the read-only role.';
REVOKE EXECUTE ON FUNCTION record_detected_stablecoins() FROM PUBLIC;

-- Change over a window for the coins trading now (observed in the 24 hours before the newest observation),
-- stablecoins excluded: the input of top_movers and market_sentiment.
CREATE FUNCTION window_changes(p_vs text, p_window interval)
RETURNS TABLE (
  coin_id text, symbol text, name text, "time" timestamptz, price double precision, change_pct double precision
)
LANGUAGE sql STABLE AS $$
  WITH live AS (
    SELECT m.coin_id, m.vs_currency, m.symbol, m.name, m.time, m.price, max(m.time) OVER () AS newest
    FROM latest_market m
    WHERE m.vs_currency = p_vs
      AND analytics_check(p_window > INTERVAL '0', format('window must be a positive interval, got %s', p_window))
      AND NOT EXISTS (SELECT 1 FROM stablecoins st WHERE st.coin_id = m.coin_id)
      AND NOT EXISTS (SELECT 1 FROM stablecoin_candidates sc WHERE sc.coin_id = m.coin_id)
  )
  SELECT l.coin_id, l.symbol, l.name, l.time, l.price, 100 * (l.price / NULLIF(b.price, 0) - 1)
  FROM live l
  LEFT JOIN LATERAL price_before(
    l.coin_id, l.vs_currency, l.time, make_interval(secs => extract(epoch FROM p_window))
  ) b ON true
  WHERE l.time > l.newest - INTERVAL '24 hours'
$$;
COMMENT ON FUNCTION window_changes(text, interval) IS
  'Per coin trading now in p_vs (observed within 24 h of the newest observation; stablecoins excluded): latest price and change_pct = 100 * (price / price p_window before its time - 1), NULL when unknown (see price_before).';

CREATE FUNCTION top_movers(p_vs text, p_window interval, p_limit int)
RETURNS TABLE (
  coin_id text, symbol text, name text, price double precision, change_pct double precision,
  direction text, rank int
)
LANGUAGE sql STABLE AS $$
  WITH changes AS (
    SELECT * FROM window_changes(p_vs, p_window)
    WHERE change_pct IS NOT NULL
      AND analytics_check(p_limit >= 0, format('limit must be 0 or more, got %s', p_limit))
  ),
  ranked AS (
    SELECT c.*, 'gainer' AS direction, row_number() OVER (ORDER BY c.change_pct DESC, c.coin_id) AS rank
    FROM changes c WHERE c.change_pct > 0
    UNION ALL
    SELECT c.*, 'loser', row_number() OVER (ORDER BY c.change_pct ASC, c.coin_id)
    FROM changes c WHERE c.change_pct < 0
  )
  SELECT r.coin_id, r.symbol, r.name, r.price, r.change_pct, r.direction, r.rank::int
  FROM ranked r
  WHERE r.rank <= p_limit
  ORDER BY r.direction DESC, r.rank
$$;
COMMENT ON FUNCTION top_movers(text, interval, int) IS
  'Top p_limit gainers (change_pct > 0, largest first) and losers (change_pct < 0, most negative first) over p_window among the coins trading now, stablecoins (listed or detected) excluded; change_pct as in window_changes; rank 1..p_limit per direction (ties by coin_id).';

CREATE FUNCTION market_sentiment(p_vs text, p_window interval)
RETURNS TABLE (
  coins int, up int, down int, share_up_pct double precision, mean_change_pct double precision,
  dispersion_pct double precision
)
LANGUAGE sql STABLE AS $$
  SELECT
    count(change_pct)::int,
    (count(*) FILTER (WHERE change_pct > 0))::int,
    (count(*) FILTER (WHERE change_pct < 0))::int,
    100 * (count(*) FILTER (WHERE change_pct > 0))::double precision / NULLIF(count(change_pct), 0),
    avg(change_pct),
    stddev_samp(change_pct)
  FROM window_changes(p_vs, p_window)
$$;
COMMENT ON FUNCTION market_sentiment(text, interval) IS
  'Breadth of the market over p_window (coins trading now, stablecoins excluded, with a known change): coins, up (change > 0), down (< 0), share_up_pct = 100 * up / coins, mean_change_pct = mean change, dispersion_pct = sample standard deviation of the changes. One row; NULLs when no coin qualifies.';

CREATE FUNCTION altcoin_season_index(p_vs text, p_at timestamptz DEFAULT now())
RETURNS TABLE (index_pct double precision, coins_considered int, coins_beating_btc int)
LANGUAGE sql STABLE AS $$
  WITH candidates AS (
    SELECT c.id, e.price / NULLIF(s.price, 0) - 1 AS roi, e.market_cap
    FROM coins c
    JOIN LATERAL price_at(c.id, p_vs, p_at) e ON e.time > p_at - INTERVAL '24 hours'
    JOIN LATERAL price_before(c.id, p_vs, p_at, INTERVAL '2160 hours') s ON true
    WHERE c.id <> 'bitcoin'
      AND NOT EXISTS (SELECT 1 FROM stablecoins st WHERE st.coin_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM stablecoin_candidates sc WHERE sc.coin_id = c.id)
  ),
  top AS (
    SELECT * FROM candidates
    WHERE roi IS NOT NULL AND market_cap IS NOT NULL
    ORDER BY market_cap DESC, id
    LIMIT 100
  ),
  btc AS (
    SELECT e.price / NULLIF(s.price, 0) - 1 AS roi
    FROM price_at('bitcoin', p_vs, p_at) e
    JOIN price_before('bitcoin', p_vs, p_at, INTERVAL '2160 hours') s ON true
    WHERE e.time > p_at - INTERVAL '24 hours'
  )
  SELECT
    100 * (count(*) FILTER (WHERE t.roi > b.roi))::double precision / NULLIF(count(*), 0),
    count(*)::int,
    (count(*) FILTER (WHERE t.roi > b.roi))::int
  FROM top t CROSS JOIN btc b
$$;
COMMENT ON FUNCTION altcoin_season_index(text, timestamptz) IS
  'Share (percent) of the 100 largest coins by market cap at p_at (stablecoins and bitcoin excluded; coins observed within 24 h before p_at with a price 90 days earlier, see price_before) whose return over those 90 days beat bitcoin''s. Conventionally >= 75 = altcoin season. index_pct NULL and counts 0 when bitcoin or no coin has the data.';

-- Market-wide history from the /global snapshots.
CREATE VIEW dominance_history AS
SELECT g.time, e.key AS symbol, e.value::double precision AS dominance_pct
FROM global_snapshots g
CROSS JOIN LATERAL jsonb_each(g.market_cap_percentage) e
WHERE jsonb_typeof(e.value) = 'number'
UNION ALL
SELECT g.time, 'others', 100 - sum(e.value::double precision)
FROM global_snapshots g
CROSS JOIN LATERAL jsonb_each(g.market_cap_percentage) e
WHERE jsonb_typeof(e.value) = 'number'
GROUP BY g.time;
COMMENT ON VIEW dominance_history IS
  'Market-cap dominance (percent of the total market cap) per global snapshot: one row per symbol CoinGecko lists (lower-case, e.g. ''btc'', ''eth''), plus symbol ''others'' = 100 - the sum of the listed ones.';

CREATE VIEW global_market_history AS
WITH currencies AS (
  SELECT DISTINCT d.vs_currency FROM candles_1d d
  WHERE d.bucket >= coalesce(
      (SELECT max(bucket) FROM candles_1d WHERE bucket > now() - INTERVAL '168 hours'),
      (SELECT max(bucket) FROM candles_1d)
    ) - INTERVAL '168 hours'
  UNION
  SELECT 'usd'
)
SELECT
  g.time,
  v.vs_currency,
  (g.total_market_cap ->> v.vs_currency)::double precision AS total_market_cap,
  (g.total_volume ->> v.vs_currency)::double precision AS total_volume,
  g.market_cap_change_pct_24h_usd,
  g.active_cryptocurrencies,
  g.markets
FROM global_snapshots g
CROSS JOIN currencies v
WHERE g.total_market_cap ? v.vs_currency;
COMMENT ON VIEW global_market_history IS
  'Total crypto market cap and 24h volume per global snapshot, in usd and in every currency collected in the last 7 days; with CoinGecko''s 24h market-cap change (usd, percent), active cryptocurrencies and markets.';

-- The views above return every snapshot in the range (~105,000 a year at a 5-minute cadence, each a
-- jsonb map to read). For charts, these take one snapshot per step: the last one of each step bucket,
-- found by an index probe per bucket, so a year at a 12-hour step reads 730 snapshots.
CREATE FUNCTION global_snapshots_between(p_from timestamptz, p_to timestamptz, p_step interval)
RETURNS SETOF global_snapshots
LANGUAGE sql STABLE AS $$
  SELECT g.*
  FROM generate_series(date_bin(p_step, p_from, '2000-01-03 00:00:00+00'), p_to, p_step) AS b(start)
  CROSS JOIN LATERAL (
    SELECT * FROM global_snapshots g
    WHERE g.time >= b.start AND g.time < b.start + p_step AND g.time >= p_from AND g.time <= p_to
    ORDER BY g.time DESC
    LIMIT 1
  ) g
  WHERE analytics_check(p_step > INTERVAL '0', format('step must be a positive interval, got %s', p_step))
    AND analytics_check(
      extract(epoch FROM p_to - p_from) / extract(epoch FROM p_step) <= 100000,
      format('step %s is too small for the range: more than 100000 points', p_step))
$$;
COMMENT ON FUNCTION global_snapshots_between(timestamptz, timestamptz, interval) IS
  'The last global snapshot of each p_step bucket (aligned like the candles) within [p_from, p_to]: the input of dominance_between and global_market_between (Grafana: pass $__interval as the step).';

CREATE FUNCTION dominance_between(p_from timestamptz, p_to timestamptz, p_step interval)
RETURNS TABLE ("time" timestamptz, symbol text, dominance_pct double precision)
LANGUAGE sql STABLE AS $$
  SELECT g.time, e.key, e.value::double precision
  FROM global_snapshots_between(p_from, p_to, p_step) g
  CROSS JOIN LATERAL jsonb_each(g.market_cap_percentage) e
  WHERE jsonb_typeof(e.value) = 'number'
  UNION ALL
  SELECT g.time, 'others', 100 - sum(e.value::double precision)
  FROM global_snapshots_between(p_from, p_to, p_step) g
  CROSS JOIN LATERAL jsonb_each(g.market_cap_percentage) e
  WHERE jsonb_typeof(e.value) = 'number'
  GROUP BY g.time
$$;
COMMENT ON FUNCTION dominance_between(timestamptz, timestamptz, interval) IS
  'dominance_history with one snapshot per p_step (see global_snapshots_between): time, symbol, dominance_pct, ''others'' included.';

CREATE FUNCTION global_market_between(p_vs text, p_from timestamptz, p_to timestamptz, p_step interval)
RETURNS TABLE (
  "time" timestamptz, vs_currency text, total_market_cap double precision, total_volume double precision,
  market_cap_change_pct_24h_usd double precision, active_cryptocurrencies integer, markets integer
)
LANGUAGE sql STABLE AS $$
  SELECT
    g.time, p_vs, (g.total_market_cap ->> p_vs)::double precision, (g.total_volume ->> p_vs)::double precision,
    g.market_cap_change_pct_24h_usd, g.active_cryptocurrencies, g.markets
  FROM global_snapshots_between(p_from, p_to, p_step) g
  WHERE g.total_market_cap ? p_vs
$$;
COMMENT ON FUNCTION global_market_between(text, timestamptz, timestamptz, interval) IS
  'global_market_history in p_vs with one snapshot per p_step (see global_snapshots_between).';
