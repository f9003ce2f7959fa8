-- time_bucket(interval, timestamptz) for plain PostgreSQL.
--
-- The Grafana datasource is provisioned with `timescaledb: true` (a literal: provisioned datasources are not
-- auto-detected), so Grafana expands `$__timeGroup(col, '5m')` to `time_bucket('300.000s',col)` whatever the
-- storage mode. Without this function such a query fails on plain PostgreSQL. It gives the same buckets as
-- TimescaleDB's time_bucket for timestamptz: origin Monday 2000-01-03 00:00 UTC. Month-based widths (which
-- Grafana never sends: it passes seconds) are refused rather than silently bucketed differently.
--
-- Plain mode can also be chosen with the timescaledb extension present (e.g. its Apache-licensed edition,
-- which has time_bucket but no continuous aggregates): then the extension's function is kept.
DO $do$
BEGIN
  IF to_regprocedure('time_bucket(interval, timestamptz)') IS NOT NULL THEN
    RETURN;
  END IF;
  CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
  BEGIN
    IF extract(month FROM bucket_width) <> 0 OR extract(year FROM bucket_width) <> 0 THEN
      RAISE EXCEPTION 'time_bucket: month and year widths are not supported in plain PostgreSQL mode (got %)',
        bucket_width;
    END IF;
    RETURN date_bin(bucket_width, ts, timestamptz '2000-01-03 00:00:00+00');
  END;
  $$;
  COMMENT ON FUNCTION time_bucket(interval, timestamptz) IS
    'Plain-PostgreSQL stand-in for TimescaleDB''s time_bucket(interval, timestamptz): date_bin with origin 2000-01-03 00:00 UTC, so Grafana''s $__timeGroup works in both storage modes.';
END;
$do$;
