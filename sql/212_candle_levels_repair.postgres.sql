-- Nothing to repair in this mode: internal.refresh_candles recomputes every level over the buckets it is given
-- (the TimescaleDB variant refreshes levels a backfill's refresh left out, see there).
SELECT 1;
