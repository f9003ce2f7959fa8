-- Analytics, part 1: the building blocks the rest of the surface is made of. The same plain PostgreSQL in both
-- storage modes: the objects read candles_1h/1d/1w, which are tables in one mode and continuous aggregates in
-- the other, with the same columns.
--
-- Conventions of every analytics object (README.md, "SQL guide", has the full guide):
-- * Day and hour arithmetic uses hours ('24 hours', not '1 day'), so results do not depend on the session
--   time zone (timestamptz +/- '1 day' follows daylight-saving changes of the session's zone).
-- * "Price at t" (returns, ROI) = close of the last hourly candle whose observations all lie at or before t.
-- * "As of now" objects are relative to the newest data, not to now(): a stalled collector shows stale but
--   consistent figures rather than empty panels; the `time` columns tell how fresh they are.
-- * Every division is guarded: too little data gives NULL, never an error.
--
-- Why plpgsql: TimescaleDB plans a real-time continuous aggregate cheaply only when it sees it in the query it
-- is given (it then replaces the watermark by a constant and leaves the chunks out at plan time). A SQL
-- function is inlined into its caller only after that step, and its candles cost ~50 ms of planning each.
-- Statements of plpgsql functions are planned on their own, and only when they run: the fallbacks below
-- (for gaps and stale coins) cost nothing while data is dense. Lookups are done for all coins at once, in
-- one statement per level, since a probe per coin costs ~0.2 ms on a continuous aggregate. They always get a
-- plan for their arguments (plan_cache_mode): a generic plan cannot leave chunks out at plan time, and making
-- one for a year of chunks costs ~100 ms.

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

-- A coin list as the filter of a statement: NULL (no filter) when it names every coin, as dashboards do when "All"
-- is selected. Every candle's coin is in coins (foreign key), so both read the same rows; but TimescaleDB plans a
-- list of constants against each chunk's statistics, value by value: 250 coins cost ~1.3 ms of planning per chunk.
CREATE FUNCTION coin_filter(p_coins text[])
RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN p_coins IS NULL THEN NULL
    WHEN NOT EXISTS (SELECT 1 FROM coins c WHERE c.id NOT IN (SELECT unnest(p_coins))) THEN NULL
    ELSE p_coins
  END
$$;
COMMENT ON FUNCTION coin_filter(text[]) IS
  'p_coins as a filter: NULL (= all coins) when it is NULL or names every coin, else p_coins.';

-- The reads of some buckets of a candle level, as statements to put in a query: the buckets before the level's
-- watermark from its stored rows, the others (the newest, in TimescaleDB mode) through the real-time view, which a
-- statement then references only when it needs it (see 208_stored_candles.timescaledb.sql). Bucket lists are
-- literals: TimescaleDB leaves the chunks that cannot hold them out at plan time (the BETWEEN bounds, redundant
-- with = ANY, let it do so).
CREATE FUNCTION candle_reads(p_level text, p_buckets timestamptz[], p_columns text, p_filter text)
RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
  watermark constant timestamptz := coalesce(candles_materialized_until(p_level), '-infinity');
  part timestamptz[];
  reads text[] := '{}';
  stored boolean;
BEGIN
  FOREACH stored IN ARRAY ARRAY[true, false] LOOP
    part := ARRAY(SELECT b FROM unnest(p_buckets) b WHERE (b < watermark) = stored ORDER BY b);
    CONTINUE WHEN cardinality(part) = 0;
    reads := reads || format(
      $p$SELECT %s FROM %I d WHERE %s AND d.bucket = ANY (%L::timestamptz[]) AND d.bucket BETWEEN %L AND %L$p$,
      p_columns, p_level || CASE WHEN stored THEN '_stored' ELSE '' END, p_filter, part, part[1],
      part[cardinality(part)]);
  END LOOP;
  RETURN reads;
END;
$$;
COMMENT ON FUNCTION candle_reads(text, timestamptz[], text, text) IS
  'Helper of the analytics functions: SELECT p_columns FROM the candle level p_level (alias d) WHERE p_filter, for the buckets p_buckets, as one statement from <p_level>_stored for the buckets before candles_materialized_until(p_level) and one from p_level for the others (none for no bucket).';

-- One coin's candles over a chart's range, at the level a chart of that range reads: hourly up to 7 days, daily
-- beyond (the coin dashboard's price and ROI charts). The level is chosen here, so a query plans one real-time
-- view, not both (~0.4 ms of planning in TimescaleDB for the one a range does not use). Its statements are static,
-- so the session keeps their plans: PostgreSQL turns to a generic plan after five calls when it is no costlier,
-- which for one coin it is not (TimescaleDB leaves the chunks out when it runs, and replaces a plan of a real-time
-- view when the view's watermark moves). No plan_cache_mode: forcing generic plans would also force them where
-- they cost more (over raw rows, as the benchmark's raw twin reads, a coin parameter does not reach compressed
-- chunks: ~80 -> ~1,100 ms). A 30-day read: ~1.4 ms as one query over both views, ~0.4 ms here (TimescaleDB,
-- pgbench; plain mode ~0.23 -> ~0.12 ms).
CREATE FUNCTION coin_candles(p_coin text, p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  bucket timestamptz, open double precision, high double precision, low double precision, close double precision,
  volume double precision, market_cap double precision
)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  IF p_to - p_from <= INTERVAL '7 days' THEN
    RETURN QUERY
      SELECT h.bucket, h.open, h.high, h.low, h.close, h.volume, h.market_cap FROM candles_1h h
      WHERE h.coin_id = p_coin AND h.vs_currency = p_vs AND h.bucket > p_from - INTERVAL '1 hour' AND h.bucket <= p_to
      ORDER BY h.bucket;
  ELSE
    RETURN QUERY
      SELECT d.bucket, d.open, d.high, d.low, d.close, d.volume, d.market_cap FROM candles_1d d
      WHERE d.coin_id = p_coin AND d.vs_currency = p_vs AND d.bucket > p_from - INTERVAL '1 day' AND d.bucket <= p_to
      ORDER BY d.bucket;
  END IF;
END;
$$;
COMMENT ON FUNCTION coin_candles(text, text, timestamptz, timestamptz) IS
  'The candles of p_coin in p_vs overlapping [p_from, p_to], oldest first: hourly (candles_1h) when the range is at most 7 days long, else daily (candles_1d).';

-- Price at an instant, for many (coin, instant) targets at once: the close of the last hourly candle whose
-- observations all lie at or before the instant. Looked for level by level, each level only for the targets
-- still unanswered, each in one statement: the instant's hour and the one before (where the answer is when
-- data is dense), the rest of the instant's day, the days of its week before that day (a daily candle's close
-- is its last hourly candle's), and the weeks before (a weekly candle's close is its last daily candle's).
CREATE FUNCTION price_lookup(p_vs text, p_coins text[], p_at timestamptz[])
RETURNS TABLE (
  target integer, coin_id text, at timestamptz, "time" timestamptz, price double precision,
  market_cap double precision
)
-- Hash joins and aggregates: the inputs come unsorted, and the planner, which cannot estimate them, would sort.
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET enable_mergejoin = off SET enable_sort = off AS $$
#variable_conflict use_column
DECLARE
  -- Candidate buckets of each level, as a query on a target (u.at) returning `bucket`.
  candidates constant text[] := ARRAY[
    $c$VALUES (date_bin('1 hour', u.at, '2000-01-03')), (date_bin('1 hour', u.at, '2000-01-03') - INTERVAL '1 hour')$c$,
    $c$SELECT generate_series(date_bin('24 hours', u.at, '2000-01-03'),
      date_bin('1 hour', u.at, '2000-01-03') - INTERVAL '2 hours', INTERVAL '1 hour')$c$,
    $c$SELECT generate_series(date_bin('7 days', u.at, '2000-01-03'),
      date_bin('24 hours', u.at, '2000-01-03') - INTERVAL '24 hours', INTERVAL '24 hours')$c$
  ];
  sources constant text[] := ARRAY['candles_1h', 'candles_1h', 'candles_1d'];
  missing integer[];
  buckets timestamptz[];
  parts text[];
  coins text[];
  t integer[] := '{}';
  ts timestamptz[] := '{}';
  ps double precision[] := '{}';
  cs double precision[] := '{}';
  level integer;
  first_hour timestamptz;
BEGIN
  PERFORM analytics_check(coalesce(cardinality(p_coins), 0) = coalesce(cardinality(p_at), 0),
    format('price_lookup: %s coins but %s instants', cardinality(p_coins), cardinality(p_at)));
  missing := ARRAY(SELECT generate_series(1, coalesce(cardinality(p_coins), 0)));
  FOR level IN 1..3 LOOP
    EXIT WHEN cardinality(missing) = 0;
    -- The candidate buckets and coins as constants of the statement, so that TimescaleDB leaves out at plan
    -- time the chunks that cannot hold them.
    EXECUTE format($q$
      WITH u AS (
        SELECT u.coin, u.at FROM unnest($1, $2) WITH ORDINALITY AS u (coin, at, k) JOIN unnest($3) m ON m = u.k
      )
      SELECT ARRAY(SELECT DISTINCT b.bucket FROM u CROSS JOIN LATERAL (%s) AS b (bucket)),
        ARRAY(SELECT DISTINCT u.coin FROM u)$q$, candidates[level])
    INTO buckets, coins
    USING p_coins, p_at, missing;
    coins := coin_filter(coins);
    parts := candle_reads(sources[level], buckets, 'd.coin_id, d.bucket, d.close_time, d.close, d.market_cap',
      '(d.vs_currency = $1 AND ($9::text[] IS NULL OR d.coin_id = ANY ($9)))');
    CONTINUE WHEN cardinality(parts) = 0;
    EXECUTE format($q$
      WITH u AS (
        SELECT u.k::integer AS target, u.coin, u.at FROM unnest($2, $3) WITH ORDINALITY AS u (coin, at, k)
        JOIN unnest($4) m ON m = u.k
      ), c AS MATERIALIZED (
        SELECT u.target, u.coin, u.at, b.bucket FROM u CROSS JOIN LATERAL (%s) AS b (bucket)
      ), h AS MATERIALIZED (
        %s
      ), picked AS (
        SELECT DISTINCT ON (c.target) c.target, h.close_time, h.close, h.market_cap
        FROM c JOIN h ON h.coin_id = c.coin AND h.bucket = c.bucket
        WHERE h.close_time <= c.at
        ORDER BY c.target, h.bucket DESC
      )
      SELECT $5 || array_agg(target), $6 || array_agg(close_time), $7 || array_agg(close),
        $8 || array_agg(market_cap)
      FROM picked$q$, candidates[level], array_to_string(parts, ' UNION ALL '))
    INTO t, ts, ps, cs
    USING p_vs, p_coins, p_at, missing, t, ts, ps, cs, coins;
    t := coalesce(t, '{}');
    missing := ARRAY(SELECT unnest(missing) EXCEPT SELECT unnest(t));
    IF level = 1 AND cardinality(missing) > 0 THEN
      -- A target whose two hours reach back to the first hourly candle of all series has nothing earlier to
      -- find: a year back during the first year of collection, any instant before the history. The levels below
      -- would each run a statement for it: 250 such targets took 8-10 ms in TimescaleDB and 6-7 ms in plain
      -- mode, 2-3 ms with this cut. Stored rows are the oldest.
      first_hour := (SELECT min(h.bucket) FROM candles_1h_stored h);
      missing := ARRAY(
        SELECT m FROM unnest(missing) m
        WHERE first_hour IS NULL OR date_bin('1 hour', p_at[m], '2000-01-03') - INTERVAL '1 hour' > first_hour
      );
    END IF;
  END LOOP;
  IF cardinality(missing) > 0 THEN
    -- The last week with data before the instant's week (history of the coins concerned only).
    WITH u AS (
      SELECT u.k::integer AS target, u.coin, date_bin('7 days', u.at, '2000-01-03') AS week
      FROM unnest(p_coins, p_at) WITH ORDINALITY AS u (coin, at, k)
      JOIN unnest(missing) m ON m = u.k
    ), w AS MATERIALIZED (
      SELECT w.coin_id, w.bucket, w.close_time, w.close, w.market_cap FROM candles_1w w
      WHERE w.vs_currency = p_vs AND w.coin_id = ANY (ARRAY(SELECT DISTINCT coin FROM u))
        AND w.bucket < (SELECT max(week) FROM u)
    ), picked AS (
      SELECT DISTINCT ON (u.target) u.target, w.close_time, w.close, w.market_cap
      FROM u JOIN w ON w.coin_id = u.coin AND w.bucket < u.week
      ORDER BY u.target, w.bucket DESC
    )
    SELECT t || array_agg(picked.target), ts || array_agg(picked.close_time), ps || array_agg(picked.close),
      cs || array_agg(picked.market_cap)
    INTO t, ts, ps, cs
    FROM picked;
  END IF;
  RETURN QUERY
    SELECT f.target, p_coins[f.target], p_at[f.target], f.time, f.price, f.market_cap
    FROM unnest(t, ts, ps, cs) AS f (target, "time", price, market_cap)
    WHERE f.target IS NOT NULL;
END;
$$;
COMMENT ON FUNCTION price_lookup(text, text[], timestamptz[]) IS
  'Price at an instant for many targets: for each i, the close (and market cap, and the time of that close) of the last hourly candle of p_coins[i] in p_vs whose observations all lie at or before p_at[i]; target = i. No row for a target without data before its instant.';

CREATE FUNCTION price_at(p_coin text, p_vs text, p_at timestamptz)
RETURNS TABLE ("time" timestamptz, price double precision, market_cap double precision)
LANGUAGE sql STABLE AS $$
  SELECT l.time, l.price, l.market_cap FROM price_lookup(p_vs, ARRAY[p_coin], ARRAY[p_at]) l
$$;
COMMENT ON FUNCTION price_at(text, text, timestamptz) IS
  'Price at p_at: close (and market cap, and the time of that close) of the last hourly candle whose observations all lie at or before p_at. No row when the coin has no data before p_at.';

CREATE FUNCTION prices_at(p_vs text, p_at timestamptz, p_coins text[] DEFAULT NULL)
RETURNS TABLE (coin_id text, "time" timestamptz, price double precision, market_cap double precision)
LANGUAGE sql STABLE AS $$
  SELECT l.coin_id, l.time, l.price, l.market_cap
  FROM (SELECT coalesce(p_coins, ARRAY(SELECT id FROM coins ORDER BY id)) AS ids) c
  CROSS JOIN LATERAL price_lookup(p_vs, c.ids, array_fill(p_at, ARRAY[cardinality(c.ids)])) l
$$;
COMMENT ON FUNCTION prices_at(text, timestamptz, text[]) IS
  'price_at(coin, p_vs, p_at) for every coin of p_coins (NULL = all coins): one row per coin with data before p_at.';

-- The last raw observation in (lower, target], for many targets at once: first, for every coin, the 15 minutes
-- before each target (where the answer is when data is fresh and dense: a target's window is at least 15
-- minutes; targets of coins updated at about the same time share one range), then each remaining coin's own
-- rows over its targets' windows. One read per range, in a UNION ALL: TimescaleDB leaves the chunks out of an
-- OR of ranges only after planning them all (two ranges of one coin: ~1.6 ms, against ~0.5 ms as two reads).
CREATE FUNCTION raw_price_lookup(p_vs text, p_coins text[], p_target timestamptz[], p_lower timestamptz[])
RETURNS TABLE (target integer, "time" timestamptz, price double precision)
-- Hash joins and aggregates (see price_lookup).
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET enable_mergejoin = off SET enable_sort = off AS $$
#variable_conflict use_column
DECLARE
  missing integer[] := ARRAY(SELECT generate_series(1, coalesce(cardinality(p_coins), 0)));
  t integer[] := '{}';
  ts timestamptz[] := '{}';
  ps double precision[] := '{}';
  read constant text := 'SELECT s.coin_id, s.time, s.price FROM market_snapshots s WHERE s.vs_currency = $1 '
    || 'AND s.time > %L AND s.time <= %L AND ($6::text[] IS NULL OR s.coin_id = ANY ($6))';
  reads text;
BEGIN
  FOR pass IN 1..2 LOOP
    EXIT WHEN cardinality(missing) = 0;
    -- Time ranges as constants of the statement: TimescaleDB leaves the other chunks out at plan time.
    IF pass = 1 THEN
      -- Targets closer than 15 minutes form one range, from 15 minutes before the first to the last.
      SELECT string_agg(format(read, c.lo - INTERVAL '15 minutes', c.hi), ' UNION ALL ')
      INTO reads
      FROM (
        SELECT min(g.t) AS lo, max(g.t) AS hi
        FROM (
          SELECT x.t, sum(x.gap::int) OVER (ORDER BY x.t) AS cluster
          FROM (
            SELECT p_target[m] AS t,
              coalesce(p_target[m] - lag(p_target[m]) OVER (ORDER BY p_target[m]) > INTERVAL '15 minutes', false) AS gap
            FROM unnest(missing) m
          ) x
        ) g
        GROUP BY g.cluster
      ) c;
    ELSE
      SELECT format(read, min(p_lower[m]), max(p_target[m])) INTO reads
      FROM unnest(missing) m;
    END IF;
    EXECUTE format($q$
      WITH u AS (
        SELECT u.k::integer AS target, u.coin, u.hi, u.lo FROM unnest($2, $3, $4) WITH ORDINALITY AS u (coin, hi, lo, k)
        JOIN unnest($5) m ON m = u.k
      ), s AS MATERIALIZED (%s), picked AS (
        SELECT DISTINCT ON (u.target) u.target, s.time, s.price
        FROM u JOIN s ON s.coin_id = u.coin AND s.time <= u.hi AND s.time > u.lo
        ORDER BY u.target, s.time DESC
      )
      SELECT $7 || array_agg(target), $8 || array_agg(time), $9 || array_agg(price) FROM picked$q$, reads)
    INTO t, ts, ps
    USING p_vs, p_coins, p_target, p_lower, missing,
      coin_filter(ARRAY(SELECT DISTINCT p_coins[m] FROM unnest(missing) m)), t, ts, ps;
    t := coalesce(t, '{}');
    missing := ARRAY(SELECT unnest(missing) EXCEPT SELECT unnest(t));
  END LOOP;
  RETURN QUERY SELECT f.target, f.time, f.price FROM unnest(t, ts, ps) AS f (target, "time", price)
    WHERE f.target IS NOT NULL;
END;
$$;
COMMENT ON FUNCTION raw_price_lookup(text, text[], timestamptz[], timestamptz[]) IS
  'For each i: the last raw snapshot of p_coins[i] in p_vs with p_lower[i] < time <= p_target[i]; target = i. No row when there is none.';

-- Reference price of a change over a horizon ending at an instant: the last observation at or before
-- instant - horizon, if it is at most horizon / 4 older than that (else unknown: a gap or a too short
-- history). Exact raw snapshots for horizons up to 48 hours (raw rows are kept at least 7 days), hourly
-- candles otherwise and when the raw rows are gone. Many targets at once, each with its own horizon.
CREATE FUNCTION prices_before(p_vs text, p_coins text[], p_at timestamptz[], p_horizons interval[])
RETURNS TABLE (target integer, "time" timestamptz, price double precision)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
  n integer := coalesce(cardinality(p_coins), 0);
  targets timestamptz[] := ARRAY(SELECT p_at[i] - p_horizons[i] FROM generate_series(1, n) i);
  lowers timestamptz[] := ARRAY(SELECT p_at[i] - p_horizons[i] * 1.25 FROM generate_series(1, n) i);
  raw integer[] := ARRAY(SELECT i FROM generate_series(1, n) i WHERE p_horizons[i] <= INTERVAL '48 hours');
  found integer[] := '{}';
  ts timestamptz[];
  ps double precision[];
  rest integer[];
BEGIN
  PERFORM analytics_check(n = coalesce(cardinality(p_at), 0) AND n = coalesce(cardinality(p_horizons), 0),
    format('prices_before: %s coins, %s instants and %s horizons', n, cardinality(p_at), cardinality(p_horizons)));
  IF cardinality(raw) > 0 THEN
    SELECT coalesce(array_agg(raw[r.target]), '{}'), array_agg(r.time), array_agg(r.price) INTO found, ts, ps
    FROM raw_price_lookup(p_vs, ARRAY(SELECT p_coins[i] FROM unnest(raw) i),
      ARRAY(SELECT targets[i] FROM unnest(raw) i), ARRAY(SELECT lowers[i] FROM unnest(raw) i)) r;
    RETURN QUERY SELECT f.target, f.time, f.price FROM unnest(found, ts, ps) AS f (target, "time", price);
  END IF;
  rest := ARRAY(SELECT generate_series(1, n) EXCEPT SELECT unnest(found));
  IF cardinality(rest) > 0 THEN
    RETURN QUERY
      SELECT rest[l.target], l.time, l.price
      FROM price_lookup(p_vs, ARRAY(SELECT p_coins[i] FROM unnest(rest) i),
        ARRAY(SELECT targets[i] FROM unnest(rest) i)) l
      WHERE l.time > lowers[rest[l.target]];
  END IF;
END;
$$;
COMMENT ON FUNCTION prices_before(text, text[], timestamptz[], interval[]) IS
  'For each i: reference price of a change over p_horizons[i] ending at p_at[i] (see price_before); target = i. No row when unknown.';

CREATE FUNCTION price_before(p_coin text, p_vs text, p_at timestamptz, p_horizon interval)
RETURNS TABLE ("time" timestamptz, price double precision)
LANGUAGE sql STABLE AS $$
  SELECT b.time, b.price FROM prices_before(p_vs, ARRAY[p_coin], ARRAY[p_at], ARRAY[p_horizon]) b
$$;
COMMENT ON FUNCTION price_before(text, text, timestamptz, interval) IS
  'Reference price of a change over p_horizon ending at p_at: the last observation at or before p_at - p_horizon, provided it is no more than p_horizon/4 older than that (raw snapshots for horizons up to 48 h, hourly candles otherwise). No row when unknown.';

-- Daily log returns: a return exists for day d when the daily candles of d and of the day before both exist
-- (consecutive calendar days: a gap gives no return rather than a multi-day one) and both closes are > 0:
-- ln(close_d / close_{d-1}). "Daily candles in [from, to]" = the candles of the UTC days overlapping the range
-- (bucket > from - 24 h and bucket <= to), so "last 30 days" has 31 closes and 30 returns.
CREATE FUNCTION daily_log_returns(
  p_vs text, p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL
)
RETURNS TABLE (coin_id text, bucket timestamptz, close double precision, log_return double precision)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
  coins constant text[] := coin_filter(p_coins);
  watermark constant timestamptz := coalesce(candles_materialized_until('candles_1d'), '-infinity');
  closes constant text := 'SELECT d.coin_id, d.bucket, d.close FROM %I d WHERE '
    || format('d.vs_currency = %L AND d.bucket > %L AND d.bucket <= %L', p_vs, p_from - INTERVAL '24 hours', p_to)
    || CASE WHEN coins IS NOT NULL THEN format(' AND d.coin_id = ANY (%L::text[])', coins) ELSE '' END
    || ' AND d.bucket >= %L AND d.bucket < %L';
  -- The lags of the closes of a query (alias c), in each coin's order of days.
  returns constant text := $q$
    SELECT
      x.coin_id, x.bucket, x.close,
      CASE
        WHEN x.previous_bucket = x.bucket - INTERVAL '24 hours' AND x.close > 0 AND x.previous_close > 0
        THEN ln(x.close / x.previous_close)
      END
    FROM (
      SELECT c.coin_id, c.bucket, c.close,
        lag(c.bucket) OVER w AS previous_bucket, lag(c.close) OVER w AS previous_close
      FROM (%s) c
      WINDOW w AS (PARTITION BY c.coin_id ORDER BY c.bucket)
    ) x
    WHERE x.bucket >= %L$q$;
  query text;
BEGIN
  IF cardinality(p_coins) = 1 THEN
    -- One coin (the coin dashboard's drawdown and volatility band): a static statement over the real-time view,
    -- whose plan the session keeps, as coin_candles does (TimescaleDB leaves the chunks out when it runs). Planning
    -- the dynamic statement cost more than reading the coin's candles: ~1.1 -> ~0.5 ms for 30 days (pgbench). The
    -- same log return as `returns` above, which cannot be shared: that one is text for EXECUTE.
    RETURN QUERY
      SELECT
        x.coin_id, x.bucket, x.close,
        CASE
          WHEN x.previous_bucket = x.bucket - INTERVAL '24 hours' AND x.close > 0 AND x.previous_close > 0
          THEN ln(x.close / x.previous_close)
        END
      FROM (
        SELECT d.coin_id, d.bucket, d.close,
          lag(d.bucket) OVER (ORDER BY d.bucket) AS previous_bucket,
          lag(d.close) OVER (ORDER BY d.bucket) AS previous_close
        FROM candles_1d d
        WHERE d.coin_id = p_coins[1] AND d.vs_currency = p_vs AND d.bucket > p_from - INTERVAL '24 hours'
          AND d.bucket <= p_to
      ) x;
    RETURN;
  END IF;
  IF p_to < watermark THEN  -- all stored (plain mode: always); read in the order of candles_1d_closes_idx (210)
    query := format(returns, format(closes, 'candles_1d_stored', '-infinity', 'infinity'), '-infinity');
  ELSIF coins IS NOT NULL AND p_from > p_to - 2000.0 / greatest(cardinality(coins), 1) * INTERVAL '24 hours' THEN
    -- TimescaleDB, under 2,000 candles: one statement over the real-time view.
    query := format(returns, format(closes, 'candles_1d', '-infinity', 'infinity'), '-infinity');
  ELSE
    -- TimescaleDB, more: the stored days apart, without a sort, and the newest days (real-time) each after its
    -- previous day. Sorting the union cost more (a year of 20 coins, 7,300 rows: ~14 ms against ~11.5) than the
    -- second statement costs (~0.8 ms, which a year of one coin does not win back).
    query := format(returns, format(closes, 'candles_1d_stored', '-infinity', watermark), '-infinity')
      || ' UNION ALL ' || format(returns, format(closes, 'candles_1d',
        CASE WHEN watermark > p_from THEN watermark - INTERVAL '24 hours' ELSE '-infinity' END, 'infinity'), watermark);
  END IF;
  RETURN QUERY EXECUTE query;
END;
$$;
COMMENT ON FUNCTION daily_log_returns(text, timestamptz, timestamptz, text[]) IS
  'Daily candles in [p_from, p_to] (the UTC days overlapping the range) of p_coins (NULL = all) with log_return = ln(close / previous day''s close); NULL on the first day, after a missing day, or when either close is not above 0.';

-- Statistics of the daily closes and log returns of ranges [p_from[k], p_to] (several starts, one end), per coin:
-- from one 4-week or weekly candle per period inside the ranges (candles_4w and candles_1w carry the statistics
-- of their daily closes) and daily candles for the other days (around them, in periods a range starts inside
-- of, and the current week, whose candle would be aggregated on every query as TimescaleDB's real-time part):
-- a year is ~30 rows per coin instead of 366. The pieces of a range are combined by sums: the return that links
-- two pieces (the last day of one is the day before the first day of the other) is added, and the sums of
-- squared deviations of the pieces are combined with their means (exact up to rounding: the means of log
-- returns are small next to their spread). Both need no ordering; the drawdown does (a piece counts against the
-- highest close before it), so it is computed only when p_drawdown.
CREATE FUNCTION daily_return_windows(
  p_vs text, p_from timestamptz[], p_to timestamptz, p_coins text[] DEFAULT NULL, p_drawdown boolean DEFAULT true
)
RETURNS TABLE (
  window_from timestamptz, coin_id text, vs_currency text, days integer, log_returns integer,
  mean_log_return double precision, stddev_log_return double precision, downside_deviation double precision,
  max_drawdown double precision, min_close double precision, max_close double precision,
  mean_close double precision
)
-- Hash joins and aggregates: the pieces come unsorted, and the planner, which cannot estimate them, would sort.
-- No plan_cache_mode: the statement over the pieces is built for each call (EXECUTE) anyway.
LANGUAGE plpgsql STABLE SET enable_mergejoin = off SET enable_sort = off AS $$
#variable_conflict use_column
DECLARE
  starts timestamptz[] := ARRAY(SELECT DISTINCT date_bin('24 hours', f, '2000-01-03') FROM unnest(p_from) f);
  day_lo timestamptz := (SELECT min(x) FROM unnest(starts) x);
  day_hi timestamptz := date_bin('24 hours', p_to, '2000-01-03');
  periods timestamptz[];
  weeks timestamptz[];
  daily timestamptz[];
  coins text[];
  sources constant text[] := ARRAY['candles_1d', 'candles_1w', 'candles_4w'];
  -- A daily candle is a piece of one day; weekly and 4-week candles carry the statistics of their days.
  daily_columns constant text := 'd.coin_id, d.vs_currency, d.bucket, d.close, d.bucket, d.close, 1, 0, 0::float8, '
    '0::float8, 0::float8, d.close, d.close, CASE WHEN d.close > 0 THEN 0::float8 END, d.close';
  long_columns constant text := 'd.coin_id, d.vs_currency, d.first_day, d.first_close, d.last_day, d.close, d.days, '
    'd.log_returns, d.log_return_mean, d.log_return_m2, d.log_return_downside, d.max_close, d.min_close, '
    'd.max_drawdown, d.sum_close';
  parts text[] := '{}';
BEGIN
  IF p_vs IS NOT NULL AND cardinality(p_coins) = 1 THEN
    -- One coin (the coin dashboard's volatility figure, risk metrics of a coin): its daily closes directly, read
    -- once by daily_log_returns (whose one-coin statement keeps its plan). The pieces pay off for many coins; for
    -- one they cost more than its closes: the volatility figure ~3.5 -> ~0.7 ms in TimescaleDB (pgbench). A day's
    -- return is inside the window starting on day x when the day is after x (both days in the window).
    RETURN QUERY
      WITH l AS MATERIALIZED (
        SELECT * FROM daily_log_returns(p_vs, day_lo, p_to, p_coins)
      ), d AS (
        SELECT x AS window_from, l.coin_id, l.close, CASE WHEN l.bucket > x THEN l.log_return END AS log_return,
          max(l.close) OVER (PARTITION BY x ORDER BY l.bucket ROWS UNBOUNDED PRECEDING) AS peak
        FROM unnest(starts) x
        JOIN l ON l.bucket >= x
      )
      SELECT
        d.window_from, d.coin_id, p_vs, count(*)::int, count(d.log_return)::int, avg(d.log_return),
        stddev_samp(d.log_return), sqrt(sum(least(d.log_return, 0) ^ 2) / NULLIF(count(d.log_return), 0)),
        CASE WHEN p_drawdown THEN max(CASE WHEN d.peak <> 0 THEN 1 - d.close / d.peak END) END,
        min(d.close), max(d.close), avg(d.close)
      FROM d
      GROUP BY d.window_from, d.coin_id;
    RETURN;
  END IF;
  -- Periods of 28 and 7 days inside [day_lo, day_hi] that no range starts inside of; the weeks only where no
  -- such 4-week period covers them; days for the rest.
  periods := ARRAY(
    SELECT m FROM generate_series(date_bin('28 days', day_lo + INTERVAL '648 hours', '2000-01-03'),
      date_bin('28 days', day_hi + INTERVAL '24 hours', '2000-01-03') - INTERVAL '672 hours', INTERVAL '672 hours') m
    WHERE NOT EXISTS (SELECT 1 FROM unnest(starts) x WHERE x > m AND x < m + INTERVAL '672 hours')
    ORDER BY m
  );
  weeks := ARRAY(
    SELECT w FROM generate_series(date_bin('7 days', day_lo + INTERVAL '144 hours', '2000-01-03'),
      date_bin('7 days', day_hi + INTERVAL '24 hours', '2000-01-03') - INTERVAL '168 hours', INTERVAL '168 hours') w
    WHERE NOT EXISTS (SELECT 1 FROM unnest(starts) x WHERE x > w AND x < w + INTERVAL '168 hours')
      AND date_bin('28 days', w, '2000-01-03') <> ALL (periods)
    ORDER BY w
  );
  daily := ARRAY(
    SELECT d FROM generate_series(day_lo, day_hi, INTERVAL '24 hours') d
    WHERE date_bin('7 days', d, '2000-01-03') <> ALL (weeks) AND date_bin('28 days', d, '2000-01-03') <> ALL (periods)
    ORDER BY d
  );
  coins := coin_filter(p_coins);
  -- The pieces of each level: from its stored rows, and from the real-time view only for the buckets after the
  -- watermark (candle_reads).
  FOR level IN 1..3 LOOP
    parts := parts || candle_reads(sources[level], CASE level WHEN 1 THEN daily WHEN 2 THEN weeks ELSE periods END,
      CASE level WHEN 1 THEN daily_columns ELSE long_columns END,
      '(($1::text IS NULL OR d.vs_currency = $1) AND ($2::text[] IS NULL OR d.coin_id = ANY ($2)))');
  END LOOP;
  IF cardinality(parts) = 0 THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE format($q$
  WITH pieces (
    coin_id, vs_currency, first_day, first_close, last_day, last_close, days, n, mean, m2, downside, max_close,
    min_close, mdd, sum_close
  ) AS MATERIALIZED (
    %s
  ),
  links AS (
    -- The return from a piece's last close to the next piece's first close, on consecutive days; it belongs to
    -- a range that holds the earlier piece.
    SELECT a.coin_id, a.vs_currency, a.first_day AS from_day, ln(b.first_close / a.last_close) AS r
    FROM pieces a
    JOIN pieces b ON b.coin_id = a.coin_id AND b.vs_currency = a.vs_currency
      AND b.first_day = a.last_day + INTERVAL '24 hours'
    WHERE a.last_close > 0 AND b.first_close > 0
  ),
  piece_sums AS (
    SELECT x AS window_from, p.coin_id, p.vs_currency, sum(p.days)::int AS days, sum(p.n) AS n,
      sum(p.n * p.mean) AS s1, sum(p.m2 + p.n * p.mean ^ 2) AS s2, sum(p.downside) AS downside,
      min(p.min_close) AS min_close, max(p.max_close) AS max_close, sum(p.sum_close) / sum(p.days) AS mean_close
    FROM pieces p
    JOIN unnest($3::timestamptz[]) x ON p.first_day >= x
    GROUP BY x, p.coin_id, p.vs_currency
  ),
  link_sums AS (
    SELECT x AS window_from, l.coin_id, l.vs_currency, count(*) AS n, sum(l.r) AS s1, sum(l.r ^ 2) AS s2,
      sum(least(l.r, 0) ^ 2) AS downside
    FROM links l
    JOIN unnest($3::timestamptz[]) x ON l.from_day >= x
    GROUP BY x, l.coin_id, l.vs_currency
  ),
  drawdowns AS (
    SELECT k.window_from, k.coin_id, k.vs_currency,
      max(greatest(k.mdd, CASE WHEN k.peak_before > 0 THEN 1 - k.min_close / k.peak_before END)) AS mdd
    FROM (
      SELECT x AS window_from, p.coin_id, p.vs_currency, p.mdd, p.min_close,
        max(p.max_close) OVER (
          PARTITION BY p.coin_id COLLATE "C", p.vs_currency COLLATE "C", x ORDER BY p.first_day
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS peak_before
      FROM pieces p
      JOIN unnest($3::timestamptz[]) x ON p.first_day >= x
      WHERE $4
    ) k
    GROUP BY k.window_from, k.coin_id, k.vs_currency
  ),
  totals AS (
    SELECT
      p.window_from, p.coin_id, p.vs_currency, p.days, p.n + coalesce(l.n, 0) AS n,
      p.s1 + coalesce(l.s1, 0) AS s1, p.s2 + coalesce(l.s2, 0) AS s2, p.downside + coalesce(l.downside, 0) AS downside,
      p.min_close, p.max_close, p.mean_close
    FROM piece_sums p
    LEFT JOIN link_sums l USING (window_from, coin_id, vs_currency)
  )
  SELECT
    t.window_from, t.coin_id, t.vs_currency, t.days, t.n::int, t.s1 / NULLIF(t.n, 0),
    CASE WHEN t.n >= 2 THEN sqrt(greatest(t.s2 - t.s1 ^ 2 / t.n, 0) / (t.n - 1)) END,
    sqrt(t.downside / NULLIF(t.n, 0)),
    d.mdd, t.min_close, t.max_close, t.mean_close
  FROM totals t
  LEFT JOIN drawdowns d USING (window_from, coin_id, vs_currency)$q$, array_to_string(parts, ' UNION ALL '))
  USING p_vs, coins, starts, p_drawdown;
END;
$$;
COMMENT ON FUNCTION daily_return_windows(text, timestamptz[], timestamptz, text[], boolean) IS
  'daily_return_stats for several ranges at once, [p_from[k], p_to] (window_from = the UTC day the range starts on), in one pass over the candles; max_drawdown NULL unless p_drawdown.';

CREATE FUNCTION daily_return_stats(
  p_vs text, p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL
)
RETURNS TABLE (
  coin_id text, vs_currency text, days integer, log_returns integer, mean_log_return double precision,
  stddev_log_return double precision, downside_deviation double precision, max_drawdown double precision,
  min_close double precision, max_close double precision, mean_close double precision
)
LANGUAGE sql STABLE AS $$
  SELECT
    w.coin_id, w.vs_currency, w.days, w.log_returns, w.mean_log_return, w.stddev_log_return, w.downside_deviation,
    w.max_drawdown, w.min_close, w.max_close, w.mean_close
  FROM daily_return_windows(p_vs, ARRAY[p_from], p_to, p_coins) w
$$;
COMMENT ON FUNCTION daily_return_stats(text, timestamptz, timestamptz, text[]) IS
  'Per coin (and currency; p_vs NULL = all) with daily candles in [p_from, p_to] (the UTC days overlapping the range), over the daily log returns r of daily_log_returns: days, log_returns = count of r, mean_log_return = mean(r), stddev_log_return = sample standard deviation (NULL below 2), downside_deviation = sqrt(sum(min(r, 0)^2) / count), max_drawdown = max over days of 1 - close / highest close so far in the range, min/max/mean close. Computed from the weekly candles inside the range and the daily ones around them.';

