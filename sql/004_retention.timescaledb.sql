-- Raw-snapshot retention: a TimescaleDB policy drops whole chunks older than the configured interval.
-- Candles are kept: the refresh windows (3 and 7 days) never reach back to dropped chunks, so the
-- aggregates keep their history. The service calls internal.set_raw_retention() at startup with
-- RAW_RETENTION_DAYS; the default below applies until then.

CREATE TABLE internal.settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE FUNCTION internal.set_raw_retention(p_keep interval)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Refreshing a candle bucket whose raw rows are gone would empty it: keep raw rows at least as long
  -- as the widest refresh window (candles_1d, 7 days).
  IF p_keep IS NULL OR p_keep < INTERVAL '7 days' THEN
    RAISE EXCEPTION 'raw retention must be at least 7 days (the candles'' refresh window), got %', p_keep;
  END IF;
  INSERT INTO internal.settings (key, value) VALUES ('raw_retention', p_keep::text)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
  PERFORM remove_retention_policy('market_snapshots', if_exists => true);
  PERFORM add_retention_policy('market_snapshots', drop_after => p_keep);
END;
$$;

-- The policy does the work in this mode; the function exists so the service calls one API in both.
CREATE FUNCTION internal.apply_retention()
RETURNS bigint
LANGUAGE sql AS $$ SELECT 0::bigint $$;

SELECT internal.set_raw_retention(INTERVAL '365 days');
