-- The stored rows of the hourly continuous aggregate, as 208_stored_candles.timescaledb.sql does for the daily,
-- weekly and 4-week ones: price lookups (price_lookup) read the hours before the watermark from the stored
-- chunks and reference the real-time view only for the newer hours. candles_materialized_until learns the level.
-- Same names and columns as 209_stored_hourly_candles.postgres.sql.
DO $do$
DECLARE
  stored text;
  cases text := '';
  level record;
BEGIN
  SELECT format('%I.%I', h.schema_name, h.table_name) INTO STRICT stored
  FROM _timescaledb_catalog.continuous_agg a
  JOIN _timescaledb_catalog.hypertable h ON h.id = a.mat_hypertable_id
  WHERE a.user_view_schema = 'public' AND a.user_view_name = 'candles_1h';
  EXECUTE format('CREATE VIEW candles_1h_stored AS SELECT * FROM %s', stored);
  FOR level IN
    SELECT a.user_view_name AS name, a.mat_hypertable_id AS id FROM _timescaledb_catalog.continuous_agg a
    WHERE a.user_view_schema = 'public'
      AND a.user_view_name IN ('candles_1h', 'candles_1d', 'candles_1w', 'candles_4w')
  LOOP
    cases := cases || format(' WHEN %L THEN %s', level.name, level.id);
  END LOOP;
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION candles_materialized_until(p_level text)
    RETURNS timestamptz
    LANGUAGE sql STABLE AS $b$
      SELECT _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(CASE p_level %s END))
    $b$
  $f$, cases);
END;
$do$;
COMMENT ON VIEW candles_1h_stored IS
  'The stored (materialized) rows of candles_1h: complete below candles_materialized_until(''candles_1h''), same columns.';
COMMENT ON FUNCTION candles_materialized_until(text) IS
  'The watermark of candles_1h, candles_1d, candles_1w or candles_4w (p_level): every bucket before it is in the view <p_level>_stored. NULL for another name.';
