-- The stored data gets a COMMENT ON like every view and function of the analytics surface (\d+ in psql).
COMMENT ON TABLE coins IS
  'One row per CoinGecko coin id (the key: several coins share a symbol): symbol, name, image_url, first_seen / last_seen by the collector.';
COMMENT ON TABLE market_snapshots IS
  'The raw time series: one row per (coin_id, vs_currency, time), time = CoinGecko''s last_updated; the /coins/markets fields (source ''markets'') or price, market cap and volume only (source ''range'': backfill and gap repair). total_volume is CoinGecko''s rolling 24h volume at time.';
COMMENT ON TABLE global_snapshots IS
  'Market-wide figures from /global, one row per CoinGecko updated_at: total_market_cap and total_volume by currency, market_cap_percentage (dominance, percent) by symbol.';
COMMENT ON TABLE ingest_runs IS
  'One row per collection cycle, backfill chunk, gap repair or retention run: status, API calls by HTTP status, rows written and rejected (with reasons), error.';

-- The candle levels: continuous aggregates (views) in TimescaleDB mode, tables in plain mode.
DO $$
DECLARE
  columns constant text := 'bucket, coin_id, vs_currency; open = first price, high / low = max / min, close = last '
    || 'price, volume / market_cap = the last observation''s (CoinGecko''s volume is a rolling 24h figure), '
    || 'samples = count of snapshots, sum_price / sum_price_sq = sums of prices and squared prices (mean and '
    || 'variance of prices), open_time / close_time = first and last observation time';
  stats constant text := '; then daily_close_stats of the period''s daily closes (days, log_returns, '
    || 'log_return_mean, log_return_m2, log_return_downside, first_day, first_close, last_day, max_close, '
    || 'min_close, max_drawdown, sum_close), counting the returns inside the period only';
  level record;
BEGIN
  FOR level IN
    SELECT c.relname AS name, c.relkind AS kind, d.text
    FROM (VALUES
      ('candles_1h', 'Hourly candles of the raw snapshots, one row per (coin_id, vs_currency, bucket): ' || columns
        || '. The newest buckets are aggregated at query time until refreshed (fresh after every write).'),
      ('candles_1d', 'Daily candles (UTC days) rolled up from candles_1h, one row per (coin_id, vs_currency, '
        || 'bucket): ' || columns || ' (of the day''s hourly candles: open of the first, close of the last).'),
      ('candles_1w', 'Weekly candles (Monday 00:00 UTC) rolled up from candles_1d: ' || columns || stats || '.'),
      ('candles_4w', '4-week candles (periods starting on the weekly candles'' Mondays) rolled up from candles_1w: '
        || columns || stats || '.')
    ) AS d (name, text)
    JOIN pg_class c ON c.relname = d.name AND c.relnamespace = 'public'::regnamespace
  LOOP
    EXECUTE format('COMMENT ON %s %I IS %L',
      CASE level.kind WHEN 'r' THEN 'TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, level.name, level.text);
  END LOOP;
END;
$$;
