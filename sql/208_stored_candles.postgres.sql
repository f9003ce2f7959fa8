-- The stored rows of the daily, weekly and 4-week candles under the names of 208_stored_candles.timescaledb.sql
-- (see there): here the tables themselves, complete everywhere.
CREATE VIEW candles_1d_stored AS SELECT * FROM candles_1d;
CREATE VIEW candles_1w_stored AS SELECT * FROM candles_1w;
CREATE VIEW candles_4w_stored AS SELECT * FROM candles_4w;
COMMENT ON VIEW candles_1d_stored IS 'candles_1d (the name the analytics read stored rows by in both modes).';
COMMENT ON VIEW candles_1w_stored IS 'candles_1w (the name the analytics read stored rows by in both modes).';
COMMENT ON VIEW candles_4w_stored IS 'candles_4w (the name the analytics read stored rows by in both modes).';

CREATE FUNCTION candles_materialized_until(p_level text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_level IN ('candles_1d', 'candles_1w', 'candles_4w') THEN 'infinity'::timestamptz END
$$;
COMMENT ON FUNCTION candles_materialized_until(text) IS
  'infinity for candles_1d, candles_1w and candles_4w (tables, complete everywhere; TimescaleDB mode: the watermark of the continuous aggregate). NULL for another name.';
