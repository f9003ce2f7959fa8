-- Candles as tables refreshed incrementally: same names, columns and column order as the continuous
-- aggregates of 003_candles.timescaledb.sql (see there for what each column means).
-- Buckets are aligned like time_bucket's default (origin Monday 2000-01-03 00:00 UTC), so both modes
-- produce the same bucket boundaries.

CREATE TABLE candles_1h (
  bucket timestamptz NOT NULL,
  coin_id text NOT NULL,
  vs_currency text NOT NULL,
  open double precision NOT NULL,
  high double precision NOT NULL,
  low double precision NOT NULL,
  close double precision NOT NULL,
  volume double precision,
  market_cap double precision,
  samples bigint NOT NULL,
  sum_price double precision NOT NULL,
  sum_price_sq double precision NOT NULL,
  open_time timestamptz NOT NULL,
  close_time timestamptz NOT NULL,
  PRIMARY KEY (coin_id, vs_currency, bucket)
);
CREATE INDEX candles_1h_bucket_idx ON candles_1h (bucket);

CREATE TABLE candles_1d (LIKE candles_1h INCLUDING ALL);
-- LIKE ... INCLUDING ALL copied the primary key and index with generated names; nothing else to add.

-- Called by the collector after every write (it lives in schema internal: the read-only role cannot
-- see it). Re-aggregate exactly the buckets a write touched: hourly buckets overlapping [p_from, p_to] from the
-- raw rows, then daily buckets overlapping it from the hourly ones. p_coins limits it to the coins
-- written (NULL = all). Delete + insert in one transaction: readers see the old or the new candles.
CREATE FUNCTION internal.refresh_candles(p_from timestamptz, p_to timestamptz, p_coins text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  origin constant timestamptz := '2000-01-03 00:00:00+00';
  h_from timestamptz := date_bin(INTERVAL '1 hour', p_from, origin);
  h_to timestamptz := date_bin(INTERVAL '1 hour', p_to, origin) + INTERVAL '1 hour';
  d_from timestamptz := date_bin(INTERVAL '1 day', p_from, origin);
  d_to timestamptz := date_bin(INTERVAL '1 day', p_to, origin) + INTERVAL '1 day';
BEGIN
  IF p_from IS NULL OR p_to IS NULL OR p_from > p_to THEN
    RAISE EXCEPTION 'refresh_candles: invalid range [%, %]', p_from, p_to;
  END IF;
  -- Overlapping refreshes (a cycle during a backfill) would each delete what the other has not yet
  -- committed and then collide on the primary key: one refresh at a time.
  PERFORM pg_advisory_xact_lock(hashtext('internal.refresh_candles'));

  DELETE FROM candles_1h
  WHERE bucket >= h_from AND bucket < h_to AND (p_coins IS NULL OR coin_id = ANY (p_coins));
  INSERT INTO candles_1h
  SELECT
    date_bin(INTERVAL '1 hour', time, origin),
    coin_id,
    vs_currency,
    (array_agg(price ORDER BY time))[1],
    max(price),
    min(price),
    (array_agg(price ORDER BY time DESC))[1],
    (array_agg(total_volume ORDER BY time DESC))[1],
    (array_agg(market_cap ORDER BY time DESC))[1],
    count(*),
    sum(price),
    sum(price * price),
    min(time),
    max(time)
  FROM market_snapshots
  WHERE time >= h_from AND time < h_to AND (p_coins IS NULL OR coin_id = ANY (p_coins))
  GROUP BY 1, 2, 3;

  DELETE FROM candles_1d
  WHERE bucket >= d_from AND bucket < d_to AND (p_coins IS NULL OR coin_id = ANY (p_coins));
  INSERT INTO candles_1d
  SELECT
    date_bin(INTERVAL '1 day', bucket, origin),
    coin_id,
    vs_currency,
    (array_agg(open ORDER BY bucket))[1],
    max(high),
    min(low),
    (array_agg(close ORDER BY bucket DESC))[1],
    (array_agg(volume ORDER BY bucket DESC))[1],
    (array_agg(market_cap ORDER BY bucket DESC))[1],
    sum(samples),
    sum(sum_price),
    sum(sum_price_sq),
    min(open_time),
    max(close_time)
  FROM candles_1h
  WHERE bucket >= d_from AND bucket < d_to AND (p_coins IS NULL OR coin_id = ANY (p_coins))
  GROUP BY 1, 2, 3;
END;
$$;
COMMENT ON FUNCTION internal.refresh_candles(timestamptz, timestamptz, text[]) IS
  'Plain-PostgreSQL mode only: re-aggregate candles_1h and candles_1d for the buckets overlapping [p_from, p_to], for p_coins (NULL = all).';
