-- Weekly and 4-week candles of the history a database already has (daily candles from before 206), and the
-- summary of the BRIN index over what was written since the last VACUUM (see internal.refresh_candles).
SELECT internal.refresh_long_candles(min(bucket), max(bucket)) FROM candles_1d HAVING count(*) > 0;
SELECT brin_summarize_new_values('market_snapshots_time_brin');
