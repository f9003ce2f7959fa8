-- The stored rows of the daily, weekly and 4-week continuous aggregates, for analytics functions that read long
-- ranges: below the aggregate's watermark they read these directly, and the real-time view only for the buckets
-- at or after it. A reference to a real-time aggregate is planned as the union of its materialized chunks and
-- an aggregation of the newer rows below it (nested through the levels: 4-week on weekly on daily on hourly on
-- raw), 1-4 ms of planning each and ~6x the cost per row of the stored chunks; a year of statistics spent ~15 ms
-- planning it. candles_materialized_until(level) is the watermark: every bucket before it is stored, complete
-- as of the last refresh (the real-time view shows the same rows there). Same names and columns as
-- 208_stored_candles.postgres.sql, where the tables are complete everywhere.
DO $do$
DECLARE
  level text;
  stored text;
  id integer;
  cases text := '';
BEGIN
  FOREACH level IN ARRAY ARRAY['candles_1d', 'candles_1w', 'candles_4w'] LOOP
    SELECT format('%I.%I', h.schema_name, h.table_name), h.id INTO STRICT stored, id
    FROM _timescaledb_catalog.continuous_agg a
    JOIN _timescaledb_catalog.hypertable h ON h.id = a.mat_hypertable_id
    WHERE a.user_view_schema = 'public' AND a.user_view_name = level;
    EXECUTE format('CREATE VIEW %I AS SELECT * FROM %s', level || '_stored', stored);
    EXECUTE format('COMMENT ON VIEW %I IS %L', level || '_stored', format(
      'The stored (materialized) rows of %s: complete below candles_materialized_until(%L), same columns.',
      level, level));
    cases := cases || format(' WHEN %L THEN %s', level, id);
  END LOOP;
  EXECUTE format($f$
    CREATE FUNCTION candles_materialized_until(p_level text)
    RETURNS timestamptz
    LANGUAGE sql STABLE AS $b$
      SELECT _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(CASE p_level %s END))
    $b$
  $f$, cases);
END;
$do$;
COMMENT ON FUNCTION candles_materialized_until(text) IS
  'The watermark of candles_1d, candles_1w or candles_4w (p_level): every bucket before it is in the view <p_level>_stored. NULL for another name.';
