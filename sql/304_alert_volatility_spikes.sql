-- alert_volatility_spikes moves to the analytics surface (sql/analytics/60_alerting.sql): it now reads the
-- surface's own measures (hourly_volatility, daily_return_windows), so a spike's vol_24h and vol_30d are the
-- figures of the view volatility (consecutive hours and days only, windows up to the newest candle) instead of
-- returns across gaps over windows counted from now().
DROP VIEW alert_volatility_spikes;
