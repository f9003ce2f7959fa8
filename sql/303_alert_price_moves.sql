-- alert_price_moves moves to the analytics surface (sql/analytics/60_alerting.sql), which the runner keeps up
-- to date: it now finds its reference prices for all coins at once (raw_price_lookup) instead of one probe per
-- coin and window. The rest of 301_alerting.sql (thresholds, settings, the other views) stays.
DROP VIEW alert_price_moves;
