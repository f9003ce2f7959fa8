-- Plain PostgreSQL storage for the raw snapshots.
-- The table is append-mostly in time order, so a BRIN index on time is tiny and effective for
-- range scans over all coins; the unique key (coin_id, vs_currency, time) serves one coin's history.
-- Retention is done by the service (DELETE of old rows), see internal.apply_retention().
CREATE INDEX market_snapshots_time_brin ON market_snapshots USING brin (time) WITH (pages_per_range = 32);
