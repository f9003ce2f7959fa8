-- Raw-snapshot retention in plain PostgreSQL: the service calls internal.apply_retention() daily,
-- which deletes raw rows older than the configured interval. Candles are kept (they are tables that
-- are only rewritten for buckets a write touches).

CREATE TABLE internal.settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE FUNCTION internal.set_raw_retention(p_keep interval)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Same floor as the TimescaleDB mode, so a configuration behaves the same in both.
  IF p_keep IS NULL OR p_keep < INTERVAL '7 days' THEN
    RAISE EXCEPTION 'raw retention must be at least 7 days (the candles'' refresh window), got %', p_keep;
  END IF;
  INSERT INTO internal.settings (key, value) VALUES ('raw_retention', p_keep::text)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
END;
$$;

CREATE FUNCTION internal.apply_retention()
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  keep interval := (SELECT value::interval FROM internal.settings WHERE key = 'raw_retention');
  deleted bigint;
BEGIN
  DELETE FROM market_snapshots WHERE time < now() - keep;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END;
$$;

SELECT internal.set_raw_retention(INTERVAL '365 days');
