-- Analytics, part 5: trend indicators on daily closes.
-- Windows count candles (trading days with data), as charting tools count bars: a missing day does not
-- void the indicators. Filters on coin_id / vs_currency are pushed into the windows (they are the
-- partition keys), so a query for one coin reads only that coin's candles.
-- The moving averages are differences of one running numeric sum of the closes: O(1) per row for all four,
-- and exact (no cancellation when prices span many magnitudes).

CREATE VIEW daily_trend AS
WITH base AS (
  SELECT
    d.bucket, d.coin_id, d.vs_currency, d.close,
    d.close - lag(d.close) OVER w AS change,
    row_number() OVER w AS n,
    sum(d.close::numeric) OVER w AS running_sum
  FROM candles_1d d
  WINDOW w AS (PARTITION BY d.coin_id, d.vs_currency ORDER BY d.bucket ROWS UNBOUNDED PRECEDING)
),
indicators AS (
  SELECT
    b.bucket, b.coin_id, b.vs_currency, b.close,
    CASE WHEN b.n >= 7 THEN ((b.running_sum - lag(b.running_sum, 7, 0) OVER w) / 7)::double precision END AS sma_7,
    CASE WHEN b.n >= 30 THEN ((b.running_sum - lag(b.running_sum, 30, 0) OVER w) / 30)::double precision END AS sma_30,
    CASE WHEN b.n >= 50 THEN ((b.running_sum - lag(b.running_sum, 50, 0) OVER w) / 50)::double precision END AS sma_50,
    CASE WHEN b.n >= 200 THEN ((b.running_sum - lag(b.running_sum, 200, 0) OVER w) / 200)::double precision END
      AS sma_200,
    CASE WHEN b.n >= 15 THEN
      100 * sum(greatest(b.change, 0)) OVER (w ROWS 13 PRECEDING)
        / NULLIF(sum(abs(b.change)) OVER (w ROWS 13 PRECEDING), 0)
    END AS rsi_14
  FROM base b
  WINDOW w AS (PARTITION BY b.coin_id, b.vs_currency ORDER BY b.bucket)
)
SELECT
  i.bucket, i.coin_id, i.vs_currency, i.close, i.sma_7, i.sma_30, i.sma_50, i.sma_200, i.rsi_14,
  CASE
    WHEN i.sma_50 > i.sma_200 AND lag(i.sma_50) OVER w <= lag(i.sma_200) OVER w THEN 'golden'
    WHEN i.sma_50 < i.sma_200 AND lag(i.sma_50) OVER w >= lag(i.sma_200) OVER w THEN 'death'
  END AS cross
FROM indicators i
WINDOW w AS (PARTITION BY i.coin_id, i.vs_currency ORDER BY i.bucket);
COMMENT ON VIEW daily_trend IS
  'Per daily candle (bucket, coin_id, vs_currency, close): sma_N = mean of the last N daily closes (NULL before N candles exist) for N = 7, 30, 50, 200; rsi_14 = 100 * sum of gains / sum of absolute changes over the last 14 close-to-close changes (simple-average RSI, Cutler''s variant: independent of where the history starts; NULL before 15 candles or without any change); cross = ''golden'' on the day sma_50 rises above sma_200, ''death'' on the day it falls below, else NULL.';
