-- The stored hourly candles under the name of 209_stored_hourly_candles.timescaledb.sql (see there): here the
-- table itself, complete everywhere.
CREATE VIEW candles_1h_stored AS SELECT * FROM candles_1h;
COMMENT ON VIEW candles_1h_stored IS 'candles_1h (the name the analytics read stored rows by in both modes).';

CREATE OR REPLACE FUNCTION candles_materialized_until(p_level text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_level IN ('candles_1h', 'candles_1d', 'candles_1w', 'candles_4w') THEN 'infinity'::timestamptz END
$$;
COMMENT ON FUNCTION candles_materialized_until(text) IS
  'infinity for candles_1h, candles_1d, candles_1w and candles_4w (tables, complete everywhere; TimescaleDB mode: the watermark of the continuous aggregate). NULL for another name.';
