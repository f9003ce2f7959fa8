-- Daily closes of a series from the index alone. daily_log_returns (the volatility cone, correlations, moving
-- averages, drawdowns) reads (coin, day, close) of many coins over a range, and a coin's daily candles are
-- scattered among all coins' (written day by day): a year of 20 coins is 7,300 candles on ~1,800 heap pages
-- (~6 ms plain, ~11 ms TimescaleDB); an index-only scan reads them in index order from ~110 pages (~2-3 ms).
-- It needs the pages' visibility, which (auto)vacuum sets on the settled days. Both modes (TimescaleDB puts the
-- index on the continuous aggregate's materialization).
CREATE INDEX candles_1d_closes_idx ON candles_1d (coin_id, vs_currency, bucket) INCLUDE (close);

-- TimescaleDB mode: it supersedes candles_1d_series_idx (205; the same key, read backwards for newest first),
-- which lives in the materialization's schema. Plain mode has none (its primary key has the same key).
DO $$
DECLARE
  superseded regclass := (SELECT c.oid::regclass FROM pg_class c WHERE c.relname = 'candles_1d_series_idx' AND c.relkind = 'i');
BEGIN
  IF superseded IS NOT NULL THEN
    EXECUTE format('DROP INDEX %s', superseded);
  END IF;
END;
$$;
