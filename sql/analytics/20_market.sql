-- Analytics, part 2: the market "as of now" (relative to the newest data, see 10_building_blocks.sql),
-- stablecoins, movers and breadth, and the market-wide history from the /global snapshots.

-- The newest hourly candle. In TimescaleDB, max(bucket) over candles_1h aggregates the raw rows of the newest
-- hour (the real-time part) just to find its bucket, ~1.5 ms a call: the hour of the newest raw row after the
-- watermark is that bucket, and the stored rows have the older ones (plain mode: the watermark is infinity, the
-- table has them all). The stored rows are looked for in the last hours first, then days. One statement per
-- step, each bound a constant of its statement: TimescaleDB then plans only the chunks that can hold it (a
-- single statement with all three steps cost ~20 ms of planning a call, the unbounded one planning every chunk).
CREATE FUNCTION newest_hour()
RETURNS timestamptz
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  watermark constant timestamptz := coalesce(candles_materialized_until('candles_1h'), '-infinity');
  recent constant timestamptz := now() - INTERVAL '3 hours';
  days constant timestamptz := now() - INTERVAL '48 hours';
  newest timestamptz;
BEGIN
  IF watermark < 'infinity' THEN  -- plain mode: a BRIN scan for nothing (~1.8 ms)
    SELECT date_bin('1 hour', max(time), '2000-01-03') INTO newest FROM market_snapshots WHERE time >= watermark;
  END IF;
  IF newest IS NULL THEN
    SELECT max(bucket) INTO newest FROM candles_1h_stored WHERE bucket > recent;
  END IF;
  IF newest IS NULL THEN
    SELECT max(bucket) INTO newest FROM candles_1h_stored WHERE bucket > days;
  END IF;
  IF newest IS NULL THEN
    SELECT max(bucket) INTO newest FROM candles_1h_stored;
  END IF;
  RETURN newest;
END;
$$;
COMMENT ON FUNCTION newest_hour() IS
  'Bucket of the newest hourly candle (NULL without data); date_bin(''24 hours'', newest_hour(), ''2000-01-03'') is the newest daily candle''s.';

-- The latest snapshot of every (coin, currency) observed in the 7 days before the newest daily candle (of
-- p_vs and p_coins when given): the latest candles give the time of each series' last observation
-- (close_time), whose raw row is then read by its key, all series at once (their times as constants of the
-- statement, so that TimescaleDB leaves out at plan time the chunks that cannot hold them).
-- Where the raw row is gone (retention), the candle's close, market cap and volume stand in.
-- The latest candles: the newest two hourly buckets hold every series while the collector runs; the others are
-- looked for in the day's earlier hourly candles, then in the daily candles of the days before (a daily
-- candle's close, close_time, market cap and volume are those of its last hourly candle). The day's own daily
-- candle is not read: in TimescaleDB it is aggregated from the day's hourly candles on every query (the newest
-- bucket is never materialized), ~10 ms by the end of the UTC day.
CREATE FUNCTION latest_snapshots(p_vs text DEFAULT NULL, p_coins text[] DEFAULT NULL)
RETURNS TABLE (
  coin_id text, vs_currency text, "time" timestamptz, price double precision, market_cap double precision,
  market_cap_rank integer, total_volume double precision, circulating_supply double precision,
  total_supply double precision, max_supply double precision, high_24h double precision,
  low_24h double precision, ath double precision, ath_date timestamptz, price_change_pct_1h double precision,
  price_change_pct_24h double precision, price_change_pct_7d double precision,
  price_change_pct_30d double precision, price_change_pct_1y double precision
)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
  hour timestamptz;
  recent timestamptz;
  day timestamptz;
  coins text[] := coin_filter(p_coins);
  series text[];
  currencies text[];
  times timestamptz[];
  closes double precision[];
  caps double precision[];
  volumes double precision[];
  newest timestamptz;
  stale_coins text[];
  stale_times timestamptz[];
  fresh market_snapshots[];
BEGIN
  -- Some coins of one currency (the coin dashboard's figures): the newest raw row of each coin observed in the last
  -- two hours, by key, in one statement. It is the row the candles lead to below (a series' newest candle's
  -- close_time), without the 2-3 ms of planning the statements over the real-time aggregates cost in TimescaleDB.
  -- The coins without one (a stalled collector, unknown coins) go the general way.
  IF p_vs IS NOT NULL AND coins IS NOT NULL THEN
    fresh := ARRAY(
      SELECT DISTINCT ON (s.coin_id) s FROM market_snapshots s
      WHERE s.coin_id = ANY (coins) AND s.vs_currency = p_vs AND s.time > now() - INTERVAL '2 hours'
      ORDER BY s.coin_id, s.time DESC
    );
    RETURN QUERY
      SELECT
        f.coin_id, f.vs_currency, f.time, f.price, f.market_cap, f.market_cap_rank, f.total_volume,
        f.circulating_supply, f.total_supply, f.max_supply, f.high_24h, f.low_24h, f.ath, f.ath_date,
        f.price_change_pct_1h, f.price_change_pct_24h, f.price_change_pct_7d, f.price_change_pct_30d,
        f.price_change_pct_1y
      FROM unnest(fresh) f;
    coins := ARRAY(SELECT unnest(coins) EXCEPT SELECT f.coin_id FROM unnest(fresh) f);
    IF cardinality(coins) = 0 THEN
      RETURN;
    END IF;
  END IF;
  hour := newest_hour();
  recent := hour - INTERVAL '1 hour';
  day := date_bin('24 hours', hour, '2000-01-03');
  SELECT array_agg(r.coin_id), array_agg(r.vs_currency), array_agg(r.close_time), array_agg(r.close),
    array_agg(r.market_cap), array_agg(r.volume)
  INTO series, currencies, times, closes, caps, volumes
  FROM (
    SELECT DISTINCT ON (h.coin_id, h.vs_currency)
      h.coin_id, h.vs_currency, h.close_time, h.close, h.market_cap, h.volume
    FROM candles_1h h
    WHERE h.bucket >= recent AND (p_vs IS NULL OR h.vs_currency = p_vs) AND (coins IS NULL OR h.coin_id = ANY (coins))
    ORDER BY h.coin_id, h.vs_currency, h.bucket DESC
  ) r;
  SELECT coalesce(series, '{}') || array_agg(r.coin_id), coalesce(currencies, '{}') || array_agg(r.vs_currency),
    coalesce(times, '{}') || array_agg(r.close_time), coalesce(closes, '{}') || array_agg(r.close),
    coalesce(caps, '{}') || array_agg(r.market_cap), coalesce(volumes, '{}') || array_agg(r.volume)
  INTO series, currencies, times, closes, caps, volumes
  FROM (
    SELECT DISTINCT ON (x.coin_id, x.vs_currency) x.*
    FROM (
      SELECT h.coin_id, h.vs_currency, h.bucket, h.close_time, h.close, h.market_cap, h.volume FROM candles_1h h
      WHERE h.bucket >= day AND h.bucket < recent AND (p_vs IS NULL OR h.vs_currency = p_vs)
        AND (coins IS NULL OR h.coin_id = ANY (coins))
      UNION ALL
      SELECT d.coin_id, d.vs_currency, d.bucket, d.close_time, d.close, d.market_cap, d.volume FROM candles_1d d
      WHERE d.bucket >= day - INTERVAL '168 hours' AND d.bucket < day AND (p_vs IS NULL OR d.vs_currency = p_vs)
        AND (coins IS NULL OR d.coin_id = ANY (coins))
    ) x
    WHERE NOT EXISTS (
      SELECT 1 FROM unnest(series, currencies) AS s (coin_id, vs_currency)
      WHERE s.coin_id = x.coin_id AND s.vs_currency = x.vs_currency
    )
    ORDER BY x.coin_id, x.vs_currency, x.bucket DESC
  ) r;
  IF cardinality(series) = 0 THEN
    RETURN;
  END IF;
  newest := (SELECT max(t) FROM unnest(times) t);
  -- Series seen in the hour before the newest observation (all, while the collector runs) are read with a
  -- time range; the others by coin and time.
  SELECT array_agg(series[i]), array_agg(times[i]) INTO stale_coins, stale_times
  FROM generate_series(1, cardinality(series)) i
  WHERE times[i] < newest - INTERVAL '1 hour';
  RETURN QUERY
  WITH r AS (
    SELECT * FROM unnest(series, currencies, times, closes, caps, volumes)
      AS r (coin_id, vs_currency, close_time, close, market_cap, volume)
  ), s AS MATERIALIZED (
    SELECT s.* FROM market_snapshots s
    WHERE s.time = ANY (times) AND s.time >= newest - INTERVAL '1 hour' AND s.time <= newest
    UNION ALL
    SELECT s.* FROM market_snapshots s
    WHERE stale_times IS NOT NULL AND s.time = ANY (stale_times) AND s.coin_id = ANY (stale_coins)
  )
  SELECT
    r.coin_id, r.vs_currency, r.close_time, coalesce(s.price, r.close), coalesce(s.market_cap, r.market_cap),
    s.market_cap_rank, coalesce(s.total_volume, r.volume), s.circulating_supply, s.total_supply, s.max_supply,
    s.high_24h, s.low_24h, s.ath, s.ath_date, s.price_change_pct_1h, s.price_change_pct_24h,
    s.price_change_pct_7d, s.price_change_pct_30d, s.price_change_pct_1y
  FROM r
  LEFT JOIN s ON s.coin_id = r.coin_id AND s.vs_currency = r.vs_currency AND s.time = r.close_time;
END;
$$;
COMMENT ON FUNCTION latest_snapshots(text, text[]) IS
  'The latest snapshot of every (coin_id, vs_currency) observed in the 7 days before the newest daily candle, of p_vs and p_coins when given (NULL = all): the raw row at the close_time of the series'' latest daily candle, the candle''s close, market cap and volume where that row is gone.';

-- Our own all-time high, for series whose snapshot has none (backfilled rows): the highest daily high, the
-- earliest day on ties, found in the earliest week with that high.
CREATE FUNCTION own_all_time_high(p_coin text, p_vs text, OUT high double precision, OUT bucket timestamptz)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  week timestamptz := (
    SELECT w.bucket FROM candles_1w w WHERE w.coin_id = p_coin AND w.vs_currency = p_vs
    ORDER BY w.high DESC, w.bucket LIMIT 1
  );
BEGIN
  SELECT d.high, d.bucket INTO high, bucket FROM candles_1d d
  WHERE d.coin_id = p_coin AND d.vs_currency = p_vs AND d.bucket >= week AND d.bucket < week + INTERVAL '168 hours'
  ORDER BY d.high DESC, d.bucket
  LIMIT 1;
END;
$$;
COMMENT ON FUNCTION own_all_time_high(text, text) IS
  'The highest daily high of (p_coin, p_vs) in our history and its day (the earliest on ties).';

-- latest_market: what needs more than the snapshot is left out by the planner when a query does not use it:
-- the 24h range and the sparkline read the hourly candles of all series at once (over the span of their
-- latest observations), our own all-time high is looked up only where CoinGecko's is missing.
CREATE VIEW latest_market AS
WITH l AS (
  SELECT * FROM latest_snapshots()
)
SELECT
  l.coin_id,
  c.symbol,
  c.name,
  c.image_url,
  l.time,
  l.price,
  l.market_cap,
  l.market_cap_rank,
  l.total_volume,
  l.total_volume / NULLIF(l.market_cap, 0) AS liquidity_ratio,
  l.circulating_supply,
  l.total_supply,
  l.max_supply,
  coalesce(l.high_24h, day.high) AS high_24h,
  coalesce(l.low_24h, day.low) AS low_24h,
  coalesce(l.ath, (own_all_time_high(l.coin_id, l.vs_currency)).high) AS ath,
  CASE WHEN l.ath IS NOT NULL THEN l.ath_date ELSE (own_all_time_high(l.coin_id, l.vs_currency)).bucket END
    AS ath_date,
  CASE WHEN coalesce(l.ath, (own_all_time_high(l.coin_id, l.vs_currency)).high) > 0
    THEN greatest(0, 100 * (1 - l.price / coalesce(l.ath, (own_all_time_high(l.coin_id, l.vs_currency)).high)))
  END AS pct_below_ath,
  week.sparkline AS sparkline_7d,
  l.vs_currency
FROM l
JOIN coins c ON c.id = l.coin_id
LEFT JOIN (
  SELECT l.coin_id, l.vs_currency, max(h.high) AS high, min(h.low) AS low
  FROM l
  JOIN (
    SELECT h.coin_id, h.vs_currency, h.bucket, h.high, h.low FROM candles_1h h
    WHERE h.bucket > (SELECT min(time) FROM l) - INTERVAL '24 hours' AND h.bucket <= (SELECT max(time) FROM l)
    OFFSET 0
  ) h ON h.coin_id = l.coin_id AND h.vs_currency = l.vs_currency
  WHERE h.bucket > l.time - INTERVAL '24 hours' AND h.bucket <= l.time
  GROUP BY l.coin_id, l.vs_currency
) day ON day.coin_id = l.coin_id AND day.vs_currency = l.vs_currency
LEFT JOIN (
  SELECT l.coin_id, l.vs_currency, array_agg(h.close ORDER BY h.bucket) AS sparkline
  FROM l
  JOIN (
    SELECT h.coin_id, h.vs_currency, h.bucket, h.close FROM candles_1h h
    WHERE h.bucket > (SELECT min(time) FROM l) - INTERVAL '168 hours' AND h.bucket <= (SELECT max(time) FROM l)
    OFFSET 0
  ) h ON h.coin_id = l.coin_id AND h.vs_currency = l.vs_currency
  WHERE h.bucket > l.time - INTERVAL '168 hours' AND h.bucket <= l.time
  GROUP BY l.coin_id, l.vs_currency
) week ON week.coin_id = l.coin_id AND week.vs_currency = l.vs_currency;
COMMENT ON VIEW latest_market IS
  'One row per (coin_id, vs_currency) observed in the 7 days before the newest daily candle: the latest snapshot (time, price, market cap and CoinGecko rank, 24h volume, liquidity_ratio = total_volume / market_cap, supply, 24h high/low), the all-time high (CoinGecko''s, else the highest daily high in our history) with pct_below_ath = max(0, 100 * (1 - price / ath)), and sparkline_7d = hourly closes of the 7 days up to time, oldest first.';

-- Changes over 1h .. 1y for the series of latest_snapshots, all reference prices in one prices_before call per
-- currency. A panel that shows the shorter changes only says so with p_up_to: each horizon costs a lookup of
-- every series (the 90-day and 1-year ones ~4 ms each for 250 coins in TimescaleDB).
CREATE FUNCTION latest_price_changes(
  p_vs text DEFAULT NULL, p_coins text[] DEFAULT NULL, p_up_to interval DEFAULT INTERVAL '8760 hours'
)
RETURNS TABLE (
  coin_id text, vs_currency text, price double precision, change_1h_pct double precision,
  change_24h_pct double precision, change_7d_pct double precision, change_30d_pct double precision,
  change_90d_pct double precision, change_1y_pct double precision, cg_change_1h_pct double precision,
  cg_change_24h_pct double precision, cg_change_7d_pct double precision, cg_change_30d_pct double precision,
  cg_change_1y_pct double precision, "time" timestamptz
)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH l AS MATERIALIZED (
    SELECT row_number() OVER (PARTITION BY s.vs_currency ORDER BY s.coin_id)::int AS i, s.*
    FROM latest_snapshots(p_vs, p_coins) s
  ), horizons AS (
    SELECT h.n, h.horizon
    FROM (VALUES (1, INTERVAL '1 hour'), (2, INTERVAL '24 hours'), (3, INTERVAL '168 hours'),
      (4, INTERVAL '720 hours'), (5, INTERVAL '2160 hours'), (6, INTERVAL '8760 hours')) AS h (n, horizon)
    WHERE h.horizon <= p_up_to
  ), targets AS (
    -- Per currency: target k = (horizon n, series i) with k = (n - 1) * count + i.
    SELECT l.vs_currency, (count(*) FILTER (WHERE h.n = 1))::int AS series,
      array_agg(l.coin_id ORDER BY h.n, l.i) AS coins, array_agg(l.time ORDER BY h.n, l.i) AS instants,
      array_agg(h.horizon ORDER BY h.n, l.i) AS spans
    FROM l CROSS JOIN horizons h
    GROUP BY l.vs_currency
  ), refs AS (
    SELECT t.vs_currency, (b.target - 1) % t.series + 1 AS i, (b.target - 1) / t.series + 1 AS n, b.price
    FROM targets t
    CROSS JOIN LATERAL prices_before(t.vs_currency, t.coins, t.instants, t.spans) b
  ), changes AS (
    SELECT
      r.vs_currency, r.i,
      max(r.price) FILTER (WHERE r.n = 1) AS p1h, max(r.price) FILTER (WHERE r.n = 2) AS p24h,
      max(r.price) FILTER (WHERE r.n = 3) AS p7d, max(r.price) FILTER (WHERE r.n = 4) AS p30d,
      max(r.price) FILTER (WHERE r.n = 5) AS p90d, max(r.price) FILTER (WHERE r.n = 6) AS p1y
    FROM refs r
    GROUP BY r.vs_currency, r.i
  )
  SELECT
    l.coin_id, l.vs_currency, l.price,
    100 * (l.price / NULLIF(c.p1h, 0) - 1), 100 * (l.price / NULLIF(c.p24h, 0) - 1),
    100 * (l.price / NULLIF(c.p7d, 0) - 1), 100 * (l.price / NULLIF(c.p30d, 0) - 1),
    100 * (l.price / NULLIF(c.p90d, 0) - 1), 100 * (l.price / NULLIF(c.p1y, 0) - 1),
    l.price_change_pct_1h, l.price_change_pct_24h, l.price_change_pct_7d, l.price_change_pct_30d,
    l.price_change_pct_1y, l.time
  FROM l
  LEFT JOIN changes c ON c.vs_currency = l.vs_currency AND c.i = l.i;
END;
$$;
COMMENT ON FUNCTION latest_price_changes(text, text[], interval) IS
  'The rows of the view price_changes, of p_vs and p_coins when given (NULL = all): for one coin, call this rather than filter the view. Changes over horizons longer than p_up_to (default 1 year: all) are NULL, not looked up.';

CREATE VIEW price_changes AS
SELECT * FROM latest_price_changes();
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

-- Our own market-cap ranking of the tracked coins, per currency. CoinGecko's market_cap_rank (in latest_market)
-- ranks all coins it lists, and backfilled rows have none; this one is there for every coin with a market cap.
CREATE VIEW market_cap_ranking AS
SELECT
  (rank() OVER (PARTITION BY m.vs_currency ORDER BY m.market_cap DESC))::int AS rank,
  m.coin_id,
  m.symbol,
  m.name,
  m.vs_currency,
  m.time,
  m.market_cap,
  100 * m.market_cap / sum(m.market_cap) OVER (PARTITION BY m.vs_currency) AS share_pct,
  m.market_cap_rank AS cg_rank
FROM latest_market m
WHERE m.market_cap > 0;
COMMENT ON VIEW market_cap_ranking IS
  'Per (coin_id, vs_currency) of latest_market with a market cap above 0: rank = RANK() by market_cap, largest first, within the currency (ties share a rank); share_pct = 100 * market_cap / the sum of these market caps in the currency; cg_rank = CoinGecko''s market_cap_rank of the same snapshot (NULL for backfilled rows).';

-- Stablecoins: the maintained list is the table stablecoins (205_analytics_storage.sql); these are detected
-- from behaviour, with the daily statistics of 10_building_blocks.sql.
CREATE VIEW stablecoin_candidates AS
SELECT s.coin_id, s.days, s.mean_close AS mean_price, s.min_close AS min_price, s.max_close AS max_price
FROM (SELECT date_bin('24 hours', newest_hour(), '2000-01-03') AS day) n
CROSS JOIN LATERAL daily_return_windows('usd', ARRAY[n.day - INTERVAL '696 hours'], greatest(n.day, now()), NULL, false) s
WHERE s.days >= 14 AND s.min_close >= 0.97 AND s.max_close <= 1.03;
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
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
  span interval := make_interval(secs => extract(epoch FROM p_window));
BEGIN
  PERFORM analytics_check(p_window > INTERVAL '0', format('window must be a positive interval, got %s', p_window));
  RETURN QUERY
  WITH live AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY l.coin_id)::int AS i, l.coin_id, c.symbol, c.name, l.time, l.price
    FROM (
      SELECT s.*, max(s.time) OVER () AS newest
      FROM latest_snapshots(p_vs) s
      WHERE NOT EXISTS (SELECT 1 FROM stablecoins st WHERE st.coin_id = s.coin_id)
        AND NOT EXISTS (SELECT 1 FROM stablecoin_candidates sc WHERE sc.coin_id = s.coin_id)
    ) l
    JOIN coins c ON c.id = l.coin_id
    WHERE l.time > l.newest - INTERVAL '24 hours'
  ), refs AS (
    SELECT b.target AS i, b.price
    FROM (SELECT array_agg(coin_id ORDER BY i) AS coins, array_agg(time ORDER BY i) AS instants, count(*) AS n FROM live) a
    CROSS JOIN LATERAL prices_before(p_vs, a.coins, a.instants, array_fill(span, ARRAY[a.n::int])) b
  )
  SELECT l.coin_id, l.symbol, l.name, l.time, l.price, 100 * (l.price / NULLIF(r.price, 0) - 1)
  FROM live l
  LEFT JOIN refs r ON r.i = l.i;
END;
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
  WITH ends AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY e.coin_id)::int AS i, e.coin_id, e.price, e.market_cap
    FROM prices_at(p_vs, p_at) e
    WHERE e.time > p_at - INTERVAL '24 hours'
      AND (e.coin_id = 'bitcoin' OR (
        NOT EXISTS (SELECT 1 FROM stablecoins st WHERE st.coin_id = e.coin_id)
        AND NOT EXISTS (SELECT 1 FROM stablecoin_candidates sc WHERE sc.coin_id = e.coin_id)))
  ),
  starts AS (
    SELECT b.target AS i, b.price
    FROM (SELECT array_agg(coin_id ORDER BY i) AS coins, count(*)::int AS n FROM ends) a
    CROSS JOIN LATERAL prices_before(p_vs, a.coins, array_fill(p_at, ARRAY[a.n]),
      array_fill(INTERVAL '2160 hours', ARRAY[a.n])) b
  ),
  returns AS (
    SELECT e.coin_id, e.price / NULLIF(s.price, 0) - 1 AS roi, e.market_cap
    FROM ends e JOIN starts s ON s.i = e.i
  ),
  top AS (
    SELECT * FROM returns
    WHERE coin_id <> 'bitcoin' AND roi IS NOT NULL AND market_cap IS NOT NULL
    ORDER BY market_cap DESC, coin_id
    LIMIT 100
  ),
  btc AS (
    SELECT roi FROM returns WHERE coin_id = 'bitcoin'
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
  -- Each snapshot's map read once: its symbols, then 'others'.
  SELECT g.time, x.symbol, x.dominance_pct
  FROM global_snapshots_between(p_from, p_to, p_step) g
  CROSS JOIN LATERAL (
    WITH shares AS (
      SELECT e.key AS symbol, e.value::double precision AS dominance_pct
      FROM jsonb_each(g.market_cap_percentage) e
      WHERE jsonb_typeof(e.value) = 'number'
    )
    SELECT * FROM shares
    UNION ALL
    SELECT 'others', 100 - sum(s.dominance_pct) FROM shares s HAVING count(*) > 0
  ) x
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
