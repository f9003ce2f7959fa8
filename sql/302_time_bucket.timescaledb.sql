-- Nothing to do: TimescaleDB provides time_bucket(interval, timestamptz) itself. The plain-PostgreSQL variant
-- of this migration defines a compatible one, so Grafana's $__timeGroup (expanded to time_bucket because the
-- datasource says `timescaledb: true`) works in both storage modes.
SELECT 1;
