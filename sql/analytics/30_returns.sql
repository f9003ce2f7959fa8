-- Analytics, part 3: returns between two instants, ROI against bitcoin, the ROI calculator and
-- dollar-cost averaging. "Price at t" is price_at() (10_building_blocks.sql): the close of the last hourly
-- candle whose observations all lie at or before t; all prices of one call are looked up at once.

-- The start of a returns range that may begin before the history: p_from itself when some price is known at
-- p_from, else the first instant a price is known (the close of the earliest hourly candle). The earliest
-- candle is found week, day, then hour, since TimescaleDB (on PostgreSQL 15) sorts a whole continuous
-- aggregate for an ORDER BY ... LIMIT 1.
CREATE FUNCTION returns_start(p_vs text, p_from timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  week timestamptz;
  day timestamptz;
  first_close timestamptz;
BEGIN
  IF EXISTS (SELECT 1 FROM candles_1h h WHERE h.vs_currency = p_vs AND h.bucket <= p_from - INTERVAL '1 hour') THEN
    RETURN p_from;
  END IF;
  week := (SELECT min(w.bucket) FROM candles_1w w WHERE w.vs_currency = p_vs);
  day := (
    SELECT min(d.bucket) FROM candles_1d d
    WHERE d.vs_currency = p_vs AND d.bucket >= week AND d.bucket < week + INTERVAL '168 hours'
  );
  first_close := (
    SELECT h.close_time FROM candles_1h h
    WHERE h.vs_currency = p_vs AND h.bucket >= day AND h.bucket < day + INTERVAL '24 hours'
    ORDER BY h.bucket
    LIMIT 1
  );
  RETURN greatest(p_from, first_close);
END;
$$;
COMMENT ON FUNCTION returns_start(text, timestamptz) IS
  'p_from, or the first instant a price in p_vs is known (the close of the earliest hourly candle) when that is later: the start to use for returns over a range that may begin before the history. p_from without data in p_vs.';

CREATE FUNCTION roi(p_coin text, p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS double precision
LANGUAGE sql STABLE AS $$
  WITH l AS MATERIALIZED (
    SELECT * FROM price_lookup(p_vs, ARRAY[p_coin, p_coin], ARRAY[p_to, p_from])
  )
  SELECT e.price / NULLIF(s.price, 0) - 1
  FROM l e JOIN l s ON s.target = 2
  WHERE e.target = 1 AND e.time > p_from
$$;
COMMENT ON FUNCTION roi(text, text, timestamptz, timestamptz) IS
  'Return of p_coin in p_vs from p_from to p_to as a fraction: price at p_to / price at p_from - 1 (see price_at). NULL when either price is unknown (no data before p_from, e.g. a coin listed later), when the coin has no observation in (p_from, p_to] (stopped trading, or a range shorter than the hourly resolution) or when the start price is 0.';

CREATE FUNCTION roi_table(p_vs text, p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL)
RETURNS TABLE (
  coin_id text, symbol text, name text, start_time timestamptz, start_price double precision,
  end_time timestamptz, end_price double precision, roi double precision, roi_vs_btc double precision
)
LANGUAGE sql STABLE AS $$
  -- Bitcoin's prices are looked up with the coins asked for, each coin once: roi_vs_btc needs them.
  WITH ends AS MATERIALIZED (
    SELECT e.* FROM prices_at(p_vs, p_to,
      CASE WHEN p_coins IS NOT NULL THEN ARRAY(SELECT DISTINCT c FROM unnest(p_coins || 'bitcoin'::text) c) END) e
    WHERE e.time > p_from
      AND analytics_check(p_from < p_to, format('from (%s) must be before to (%s)', p_from, p_to))
  ),
  starts AS MATERIALIZED (
    SELECT s.* FROM prices_at(p_vs, p_from, ARRAY(SELECT coin_id FROM ends)) s
  ),
  returns AS (
    SELECT
      c.id AS coin_id, c.symbol, c.name, s.time AS start_time, s.price AS start_price,
      e.time AS end_time, e.price AS end_price, e.price / NULLIF(s.price, 0) - 1 AS roi
    FROM ends e
    JOIN coins c ON c.id = e.coin_id
    LEFT JOIN starts s ON s.coin_id = e.coin_id
  )
  SELECT r.*, (1 + r.roi) / NULLIF(1 + btc.roi, 0) - 1
  FROM returns r
  LEFT JOIN returns btc ON btc.coin_id = 'bitcoin'
  WHERE p_coins IS NULL OR r.coin_id = ANY (p_coins)
$$;
COMMENT ON FUNCTION roi_table(text, timestamptz, timestamptz, text[]) IS
  'Per coin (of p_coins; NULL = all) observed in (p_from, p_to]: the start and end prices used (price_at p_from and p_to, with the times of those closes), roi = end_price / start_price - 1 (NULL when the coin has no data before p_from) and roi_vs_btc = (1 + roi) / (1 + roi of bitcoin) - 1.';

CREATE FUNCTION investment_value(p_vs text, p_amount double precision, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  coin_id text, symbol text, name text, invested double precision, value double precision,
  profit double precision, roi double precision, rank int
)
LANGUAGE sql STABLE AS $$
  SELECT
    r.coin_id, r.symbol, r.name, p_amount, p_amount * (1 + r.roi), p_amount * r.roi, r.roi,
    (rank() OVER (ORDER BY r.roi DESC))::int
  FROM roi_table(p_vs, p_from, p_to) r
  WHERE r.roi IS NOT NULL
    AND analytics_check(p_amount > 0, format('amount must be positive, got %s', p_amount))
$$;
COMMENT ON FUNCTION investment_value(text, double precision, timestamptz, timestamptz) IS
  'ROI calculator: p_amount invested in each coin at p_from (coins with a known roi, see roi_table): value at p_to = p_amount * (1 + roi), profit = value - invested, rank 1 = best.';

CREATE FUNCTION dca_results(
  p_vs text, p_coins text[], p_amount_per_buy double precision, p_every interval, p_from timestamptz,
  p_to timestamptz
)
RETURNS TABLE (
  coin_id text, buys int, invested double precision, units double precision, value double precision,
  roi double precision, average_price double precision
)
LANGUAGE sql STABLE AS $$
  WITH instants AS (
    -- The buys, then p_to (for the value at the end).
    SELECT array_agg(t.at ORDER BY t.at) || p_to AS at
    FROM generate_series(p_from, p_to, p_every) AS t (at)
    WHERE analytics_check(p_amount_per_buy > 0, format('amount per buy must be positive, got %s', p_amount_per_buy))
      AND analytics_check(p_every > INTERVAL '0', format('buy interval must be positive, got %s', p_every))
      AND analytics_check(p_from <= p_to, format('from (%s) must not be after to (%s)', p_from, p_to))
      AND analytics_check(
        extract(epoch FROM p_to - p_from) / extract(epoch FROM p_every) <= 100000,
        format('buy interval %s is too short for the range: more than 100000 buys', p_every))
  ),
  targets AS (
    -- Target (k - 1) * m + n: coin k at instant n of m; one price lookup for all of them.
    SELECT cardinality(i.at) AS m, array_agg(c.coin ORDER BY c.k, t.n) AS coins, array_agg(t.at ORDER BY c.k, t.n) AS ats
    FROM instants i
    CROSS JOIN unnest(p_coins) WITH ORDINALITY AS c (coin, k)
    CROSS JOIN unnest(i.at) WITH ORDINALITY AS t (at, n)
    GROUP BY i.at
  ),
  prices AS MATERIALIZED (
    SELECT l.coin_id, l.at, l.time, l.price, (l.target - 1) % t.m + 1 = t.m AS is_end
    FROM targets t
    CROSS JOIN LATERAL price_lookup(p_vs, t.coins, t.ats) l
  ),
  totals AS (
    -- A buy needs a recent price: an observation within the period (at least a day) before it.
    SELECT p.coin_id, count(*)::int AS buys, count(*) * p_amount_per_buy AS invested, sum(p_amount_per_buy / p.price) AS units
    FROM prices p
    WHERE NOT p.is_end AND p.time > p.at - greatest(p_every, INTERVAL '24 hours') AND p.price > 0
    GROUP BY p.coin_id
  )
  SELECT
    c.coin, coalesce(t.buys, 0), coalesce(t.invested, 0), coalesce(t.units, 0), coalesce(t.units, 0) * e.price,
    coalesce(t.units, 0) * e.price / NULLIF(t.invested, 0) - 1,
    t.invested / NULLIF(t.units, 0)
  FROM (SELECT DISTINCT unnest(p_coins) AS coin) c
  LEFT JOIN totals t ON t.coin_id = c.coin
  LEFT JOIN prices e ON e.coin_id = c.coin AND e.is_end
$$;
COMMENT ON FUNCTION dca_results(text, text[], double precision, interval, timestamptz, timestamptz) IS
  'dca_result for every coin of p_coins at once (one row each, coin_id first).';

CREATE FUNCTION dca_result(
  p_coin text, p_vs text, p_amount_per_buy double precision, p_every interval, p_from timestamptz,
  p_to timestamptz
)
RETURNS TABLE (
  buys int, invested double precision, units double precision, value double precision,
  roi double precision, average_price double precision
)
LANGUAGE sql STABLE AS $$
  SELECT d.buys, d.invested, d.units, d.value, d.roi, d.average_price
  FROM dca_results(p_vs, ARRAY[p_coin], p_amount_per_buy, p_every, p_from, p_to) d
$$;
COMMENT ON FUNCTION dca_result(text, text, double precision, interval, timestamptz, timestamptz) IS
  'Dollar-cost averaging: buy p_amount_per_buy of p_coin at p_from, p_from + p_every, ... up to p_to, at the price at each instant (price_at; skipped when the coin has no observation within max(p_every, 24 h) before it). buys, invested = buys * amount, units = sum(amount / price), value = units * price at p_to, roi = value / invested - 1, average_price = invested / units. One row.';
