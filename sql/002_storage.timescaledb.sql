-- TimescaleDB storage for the raw snapshots.
--
-- Chunk interval 7 days: a cycle every 5 minutes for 1,000 coins in one currency is ~290k rows a day,
-- ~60 MB a day with indexes, so a week's chunk (~400 MB) stays far below the advised 25% of RAM while
-- keeping the chunk count low for year-long queries (52 chunks a year). Retention drops whole chunks,
-- so retention is exact to within a week.
SELECT create_hypertable('market_snapshots', by_range('time', INTERVAL '7 days'));

-- Columnstore: segment by series so one coin's history decompresses alone; newest first.
ALTER TABLE market_snapshots SET (
  timescaledb.enable_columnstore = true,
  timescaledb.segmentby = 'coin_id, vs_currency',
  timescaledb.orderby = 'time DESC'
);
-- Compress chunks once they are older than 14 days: late writes (gap repair, backfill) go mostly to
-- newer chunks; inserts into compressed chunks still work, just slower.
CALL add_columnstore_policy('market_snapshots', after => INTERVAL '14 days');

-- Indexes: create_hypertable adds one on (time DESC) for range scans over all coins; the unique key
-- (coin_id, vs_currency, time) serves one coin's history in either direction.
